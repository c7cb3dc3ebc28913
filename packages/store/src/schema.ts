/**
 * @tollgate/store/schema: what the store's tables hold, without a connection to them, for code that
 * builds its own queries and must start fast: replay's worker threads load this, not the ClickHouse
 * client and the event schemas the package's main entry brings (about 60 ms per worker).
 */
export { CALL_PROFILE_COLUMNS } from "./migrations.js";
