/** Vault's default_max_request_duration: the default bound on one request, and on one call a backend makes to a system outside Mayfly. */
export const DEFAULT_MAX_REQUEST_DURATION_SECONDS = 90;
