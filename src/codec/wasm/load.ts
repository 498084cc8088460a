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
  readonly memory: WebAssembly.Memory;
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

/** Whether the engine takes the SIMD build, asked once: the answer cannot change in a process. */
let simdValid: boolean | undefined;

function chooseFlavor(requested?: WasmFlavor): WasmFlavor {
  const want = requested ?? envFlavor();
  if (want === "scalar") return "scalar";
  simdValid ??= WebAssembly.validate(wasmBytes("simd"));
  if (simdValid) return "simd";
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
 * Loads the WASM core: compiles the inlined build once (cached) and makes it the default for new
 * instances. **The one rule**: `await init()` once before anything else. After it, every function
 * is synchronous and fast; before it, every function that needs the core throws
 * `VfioMigrationError` with code `ERR_WASM_NOT_INITIALIZED` (the header encoders, plain
 * TypeScript, need nothing). Calling again is free and returns the build in use. By default the
 * SIMD build is used when the engine validates it; `flavor` (or env VFIO_MIGRATION_WASM=scalar|simd)
 * forces one, and switching builds replaces the shared instances.
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

/** The build new instances get (undefined before `init()`): helpers keeping an instance of their own purpose replace it when this changes. */
export function currentFlavor(): WasmFlavor | undefined {
  return defaultFlavor;
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
