/** Where the REST API lives; the version is part of every route's path. */
export const API_PREFIX = '/api/v1';
