// The guest's view of one mtty port: handle_bar_write()/handle_bar_read() of mtty.c over the raw
// 36-byte struct serial_port (x86-64 layout), without the interrupt signalling (no eventfds here).
import { MAX_FIFO_SIZE, PORT_BYTES } from "./layout.js";

// struct serial_port offsets.
const UART_REG = 0;
const FIFO = 8;
const HEAD = 24;
const TAIL = 25;
const COUNT = 26;
const DLAB = 27;
const OVERRUN = 28;
const DIVISOR = 30;
const FCR = 32;
const MAX_FIFO = 33;
const TRIGGER = 34;

// include/uapi/linux/serial_reg.h
const UART_TX = 0;
const UART_IER = 1;
const UART_FCR = 2;
const UART_IIR = 2;
const UART_LCR = 3;
const UART_MCR = 4;
const UART_LSR = 5;
const UART_MSR = 6;
const UART_SCR = 7;
const IER_RDI = 0x01;
const IER_THRI = 0x02;
const IER_RLSI = 0x04;
const FCR_ENABLE_FIFO = 0x01;
const FCR_CLEAR = 0x02 | 0x04;
const LCR_DLAB = 0x80;
const MCR_AFE = 0x20;

/** One port's registers inside the device state (a view: writes change the state). */
export class UartPort {
  private readonly view: DataView;

  constructor(private readonly s: Uint8Array) {
    if (s.length !== PORT_BYTES) throw new RangeError("a serial_port is 36 bytes");
    this.view = new DataView(s.buffer, s.byteOffset, PORT_BYTES);
  }

  private get divisor(): number {
    return this.view.getUint16(DIVISOR, true);
  }

  private set divisor(value: number) {
    this.view.setUint16(DIVISOR, value & 0xffff, true);
  }

  write(offset: number, data: number): void {
    const s = this.s;
    switch (offset) {
      case UART_TX:
        if (s[DLAB]) {
          this.divisor = this.divisor | data;
          break;
        }
        if (s[COUNT] < s[MAX_FIFO]) {
          s[FIFO + s[HEAD]] = data;
          s[COUNT]++;
          s[HEAD] = (s[HEAD] + 1) & (MAX_FIFO_SIZE - 1);
          s[OVERRUN] = 0;
        } else {
          s[OVERRUN] = 1;
        }
        break;
      case UART_IER:
        if (s[DLAB]) this.divisor = this.divisor | (data << 8);
        else s[UART_REG + UART_IER] = data;
        break;
      case UART_FCR:
        s[FCR] = data;
        if (data & FCR_CLEAR) s[COUNT] = s[HEAD] = s[TAIL] = 0;
        // mtty computes a trigger level from the FCR bits, then sets 1 regardless.
        s[TRIGGER] = 1;
        if (data & FCR_ENABLE_FIFO) s[MAX_FIFO] = MAX_FIFO_SIZE;
        else s[MAX_FIFO] = 1;
        break;
      case UART_LCR:
        if (data & LCR_DLAB) {
          s[DLAB] = 1;
          this.divisor = 0;
        } else {
          s[DLAB] = 0;
        }
        s[UART_REG + UART_LCR] = data;
        break;
      case UART_MCR:
      case UART_SCR:
        s[UART_REG + offset] = data;
        break;
      default: // LSR, MSR: read-only
        break;
    }
  }

  read(offset: number): number {
    const s = this.s;
    switch (offset) {
      case UART_TX: {
        if (s[DLAB]) return this.divisor & 0xff;
        let value = 0;
        if (s[HEAD] !== s[TAIL]) {
          value = s[FIFO + s[TAIL]];
          s[COUNT]--;
          s[TAIL] = (s[TAIL] + 1) & (MAX_FIFO_SIZE - 1);
        }
        return value;
      }
      case UART_IER:
        return s[DLAB] ? this.divisor >> 8 : s[UART_REG + UART_IER] & 0x0f;
      case UART_IIR: {
        const ier = s[UART_REG + UART_IER];
        let iir = 0;
        if (ier & IER_RLSI && s[OVERRUN]) iir |= 0x06;
        if (ier & IER_RDI && s[COUNT] >= s[TRIGGER]) iir |= 0x04;
        if (ier & IER_THRI && s[HEAD] === s[TAIL]) iir |= 0x02;
        // Modem status (IER_MSI with RTS/DTR) is UART_IIR_MSI = 0x00 and adds no bit.
        if (iir === 0) iir = 0x01;
        return iir | 0xc0;
      }
      case UART_LCR:
      case UART_MCR:
      case UART_SCR:
        return s[UART_REG + offset];
      case UART_LSR: {
        let lsr = 0;
        if (s[HEAD] !== s[TAIL]) lsr |= 0x01;
        if (s[OVERRUN]) lsr |= 0x02;
        if (s[HEAD] === s[TAIL]) lsr |= 0x40 | 0x20;
        return lsr;
      }
      case UART_MSR: {
        let msr = 0x20 | 0x02 | 0x80;
        if (!(s[UART_REG + UART_MCR] & MCR_AFE) || s[COUNT] < s[MAX_FIFO]) msr |= 0x10 | 0x01;
        return msr;
      }
      default:
        return 0;
    }
  }
}
