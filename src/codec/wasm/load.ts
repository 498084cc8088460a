import { VfioMigrationError } from "../../errors.js";
import { scalarWasmBase64, simdWasmBase64 } from "./binary.generated.js";
import type { CodecExports } from "./exports.js";

const PAGE = 65536;

/** Which build of the WASM core is in use. */
export type WasmFlavor = "simd" | "scalar";

export interface InitOptions {
  /** Force a build; by default SIMD when the engine validates it (env VFIO_MIGRATION_WASM=scalar forces scalar). */
  flavor?: WasmFlavor;
}

/** One instance of the WASM core with its own fixed-size memory. */
export interface CodecInstance {
  readonly flavor: WasmFlavor;
  readonly exports: CodecExports;
  /** The instance's `WebAssembly.Memory`, typed by what callers use so projects without the DOM lib type-check. */
  readonly memory: { readonly buffer: ArrayBuffer };
  /** First host-usable byte, rounded up to 64. */
  readonly heapBase: number;
  /** Bytes of linear memory; it never grows. */
  readonly byteLength: number;
  /** A view of the whole memory (stable: the memory never grows, so it never detaches). */
  readonly bytes: Uint8Array;
}

const modules = new Map<WasmFlavor, Promise<WebAssembly.Module>>();
const compiledModules = new Map<WasmFlavor, WebAssembly.Module>();
let defaultFlavor: WasmFlavor | undefined;
let shared: CodecInstance | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function envFlavor(): WasmFlavor | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.VFIO_MIGRATION_WASM;
  return value === "scalar" || value === "simd" ? value : undefined;
}

function wasmBytes(flavor: WasmFlavor): Uint8Array<ArrayBuffer> {
  return decodeBase64(flavor === "simd" ? simdWasmBase64 : scalarWasmBase64);
}

function chooseFlavor(requested?: WasmFlavor): WasmFlavor {
  const want = requested ?? envFlavor();
  if (want === "scalar") return "scalar";
  if (WebAssembly.validate(wasmBytes("simd"))) return "simd";
  if (want === "simd") {
    throw new VfioMigrationError("ERR_WASM_SIMD_UNSUPPORTED", "this WebAssembly engine does not support SIMD");
  }
  return "scalar";
}

function compile(flavor: WasmFlavor): Promise<WebAssembly.Module> {
  let pending = modules.get(flavor);
  if (!pending) {
    pending = WebAssembly.compile(wasmBytes(flavor)).then((module) => {
      compiledModules.set(flavor, module);
      return module;
    });
    // A failed compile must not poison later calls.
    pending.catch(() => modules.delete(flavor));
    modules.set(flavor, pending);
  }
  return pending;
}

/**
 * Compiles the inlined WASM core once per build (cached) and makes it the default for new
 * instances. Call before any codec function; calling again is free. By default the SIMD build is
 * used when the engine validates it; `flavor` (or env VFIO_MIGRATION_WASM=scalar|simd) forces one.
 */
export async function init(options: InitOptions = {}): Promise<WasmFlavor> {
  const flavor = chooseFlavor(options.flavor);
  await compile(flavor);
  if (defaultFlavor !== flavor) {
    defaultFlavor = flavor;
    shared = undefined;
  }
  return flavor;
}

/**
 * `init()` without awaiting, for the header encoders and decoders when the application has not
 * called `init()` yet: compiles with `new WebAssembly.Module` (browsers allow it for a module this
 * small). Keeps the build an earlier `init()` chose.
 */
export function initSync(options: InitOptions = {}): WasmFlavor {
  const flavor = chooseFlavor(options.flavor);
  if (!compiledModules.has(flavor)) {
    const module = new WebAssembly.Module(wasmBytes(flavor));
    compiledModules.set(flavor, module);
    modules.set(flavor, Promise.resolve(module));
  }
  if (defaultFlavor !== flavor) {
    defaultFlavor = flavor;
    shared = undefined;
  }
  return flavor;
}

function requireModule(flavor?: WasmFlavor): { flavor: WasmFlavor; module: WebAssembly.Module } {
  const chosen = flavor ?? defaultFlavor;
  const module = chosen && compiledModules.get(chosen);
  if (!chosen || !module) {
    throw new VfioMigrationError("ERR_WASM_NOT_INITIALIZED", "call init() and await it before using the codec");
  }
  return { flavor: chosen, module };
}

/**
 * A new instance with `hostBytes` of memory above the static data, fixed for its lifetime.
 * Engines create one per session for their buffer pool; small helpers share `sharedInstance()`.
 * `flavor` picks a build compiled by an earlier `init({ flavor })`; by default the current default.
 */
export function createInstance(hostBytes: number, flavor?: WasmFlavor): CodecInstance {
  const { flavor: chosen, module } = requireModule(flavor);
  // Static data lies in the first pages; 64 KiB covers it with room to spare (checked below).
  const staticReserve = PAGE;
  const pages = Math.ceil((staticReserve + hostBytes) / PAGE);
  // Always a fresh memory, so it is zeroed: the build omits zero data segments (zeroFilledMemory).
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort() {
        throw new VfioMigrationError("ERR_WASM_ABORT", "the WASM core aborted");
      },
    },
  });
  const exports = instance.exports as unknown as CodecExports;
  const heapBase = (exports.heapBase() + 63) & ~63;
  if (heapBase > staticReserve) {
    throw new VfioMigrationError("ERR_WASM_LAYOUT", `static data ends at ${heapBase}, past the reserved ${staticReserve}`);
  }
  return {
    flavor: chosen,
    exports,
    memory,
    heapBase: staticReserve,
    byteLength: pages * PAGE,
    bytes: new Uint8Array(memory.buffer),
  };
}

/** Bytes of the shared instance's host area: the staging window for functions given plain byte arrays. */
export const SHARED_WINDOW_BYTES = 1 << 20;

/** The instance used by convenience functions such as `crc32c(bytes)`. */
export function sharedInstance(): CodecInstance {
  shared ??= createInstance(SHARED_WINDOW_BYTES);
  return shared;
}
