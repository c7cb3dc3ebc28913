// A replay worker's first module. tollgate runs its TypeScript sources through tsx, and a worker
// thread starts without the loader its parent registered, so it registers its own first.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
