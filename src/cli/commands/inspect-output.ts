// inspect's stdout: buffered, written with backpressure, so records stream out as they are read, and a
// JSON document that an error cuts short is still closed into valid JSON carrying the error.
import { once } from "node:events";

const FLUSH_BYTES = 1 << 16;

export class Output {
  private buffer = "";
  /** Inside the records array of a JSON document: an error closes it. */
  private inRecords = false;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.buffer) return;
    const text = this.buffer;
    this.buffer = "";
    if (!this.stream.write(text)) await once(this.stream, "drain");
  }

  /** `open`, the records as JSON separated by commas, `close`; nothing is written before the first record. */
  async jsonDocument(open: string, records: AsyncIterable<unknown>, close: string): Promise<void> {
    let count = 0;
    for await (const record of records) {
      if (count++ === 0) {
        await this.write(open);
        this.inRecords = true;
      } else await this.write(",");
      await this.write(JSON.stringify(record));
    }
    if (count === 0) await this.write(open);
    this.inRecords = false;
    await this.write(close + "\n");
  }

  /** `{"error":...}`, or, when records were already written, the document closed with an `error` member. */
  async jsonError(error: { code: string; message: string; offset: number }): Promise<void> {
    await this.write(this.inRecords ? `],"error":${JSON.stringify(error)}}\n` : `${JSON.stringify({ error })}\n`);
    this.inRecords = false;
    await this.flush();
  }
}
