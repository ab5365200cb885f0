// Package integration holds the end-to-end tests: they start the whole service over HTTP against
// SQLite and against a real PostgreSQL, load the demo shop, and send the queries storefronts send.
package integration
