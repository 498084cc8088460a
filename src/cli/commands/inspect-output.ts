// inspect's stdout: buffered, written with backpressure, so records stream out as they are read, and a
// JSON document that an error cuts short is still closed into valid JSON carrying the error.
import { once } from "node:events";

const FLUSH_BYTES = 1 << 16;

export class Output {
  private buffer: string[] = [];
  private buffered = 0;
  /** Inside the records array of a JSON document: an error closes it. */
  private inRecords = false;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Queues text; call `drain` between batches so it is written out. */
  add(text: string): void {
    this.buffer.push(text);
    this.buffered += text.length;
  }

  /** Writes the queued text out once there is enough of it, waiting when the stream pushes back. */
  async drain(): Promise<void> {
    if (this.buffered >= FLUSH_BYTES) await this.flush();
  }

  async write(text: string): Promise<void> {
    this.add(text);
    await this.drain();
  }

  async flush(): Promise<void> {
    if (this.buffered === 0) return;
    const text = this.buffer.join("");
    this.buffer = [];
    this.buffered = 0;
    if (!this.stream.write(text)) await once(this.stream, "drain");
  }

  /** `open`, the records as JSON separated by commas, `close`; nothing is written before the first record. */
  async jsonDocument(open: string, batches: AsyncIterable<unknown[]>, close: string): Promise<void> {
    let count = 0;
    for await (const batch of batches) {
      for (const record of batch) {
        if (count++ === 0) {
          this.add(open);
          this.inRecords = true;
        } else this.add(",");
        this.add(JSON.stringify(record));
      }
      await this.drain();
    }
    if (count === 0) this.add(open);
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
