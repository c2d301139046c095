/** Throwaway database servers for tests; each starts from the machine's own binaries. */
export { startPostgres, type PostgresInstance } from "./postgres.js";
export { startMariadb, type MariadbInstance } from "./mariadb.js";
export { startRedis, type RedisInstance } from "./redis.js";
export { freePort, randomPassword } from "./process.js";
