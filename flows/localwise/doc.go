// Package localwise is a local stand-in for the authentication side of the
// Wise Platform API. It runs in-process (tests, `wisewallet demo`) or
// standalone (`wisewallet localwise`) and serves, on one loopback address:
//
//   - POST /oauth/token with HTTP Basic client authentication (raw, or
//     form-urlencoded as RFC 6749 §2.3.1 says) and the four grants Wise
//     documents: client_credentials, authorization_code, refresh_token and
//     registration_code; any other grant_type is unsupported_grant_type;
//   - GET /oauth/authorize, a small HTML login and consent flow that stands in
//     for Wise's authorize page (which lives on another host at Wise);
//   - GET /v1/me, GET /v2/profiles and GET /v2/profiles/{profileId} for user
//     access tokens and personal tokens;
//   - POST /v1/user/signup/registration_code and POST /v1/users/exists for
//     client-credentials tokens;
//   - JOSE, for client-credentials tokens: GET
//     /v1/auth/jose/response/public-keys (localwise's own ES512 signing and
//     RSA-2048 encryption keys, with versions), POST
//     /v1/auth/jose/request/public-keys (a client's public keys), and the
//     playgrounds POST /v1/auth/jose/playground/jws, GET and POST .../jwe,
//     POST .../jwe-direct-encryption and POST .../jwsjwe (see
//     jose_playground.go for what is checked and how refusals look);
//   - SCA (sca*.go): protected calls (POST
//     /v3/profiles/{p}/transfers/{t}/payments, GET
//     /v1/profiles/{p}/balance-statements/{b}/statement.json, deleting a PIN
//     or a device) answering Wise's 403 challenge with a one-time token and
//     APPROVED on the cleared replay; the token's status; PIN and device
//     fingerprint factors (v2 and v1, JWE bodies only, answers encrypted
//     with the request's key); phone codes by SMS, WhatsApp and voice; SCA
//     sessions; the legacy X-Signature with its "Manage public keys" page
//     and API; and the approve-api-action page Wise's browser helper opens.
//
// Every one of these paths also answers under Wise's quarterly version
// prefix (/2026Q3/oauth/token, /2026Q3/v1/me, any /YYYYQn/), the same way;
// a malformed prefix is a 404.
//
// Wire shapes follow shared/reference/wise-auth.md and Wise's OpenAPI
// document; a conformance test validates every response against that
// document, so the client and the stand-in cannot drift away from Wise
// together. Where Wise is silent the choices of wise-auth.md's "Decisions"
// section apply: PKCE S256 is supported and, when a challenge was sent,
// required; refresh tokens rotate; a bad bearer token gets
// 401 {"error":"invalid_token"}.
//
// Every response, including errors and 404s, carries an x-trace-id header and
// echoes X-External-Correlation-Id when the request sent one of at most 36
// characters.
//
// The demo credentials (see [Server.Demo] and the Demo* constants) are fixed,
// published strings. They exist only so documentation and demos can show
// them; they are worthless anywhere but against localwise.
//
// The /__localwise/ endpoints (faults, stats, clients, jose/keys,
// jose/keys/rotate, jose/overlap, jose/clients/{id}/keys, sca) are a test and demo
// control surface of the stand-in only. They have no counterpart at Wise and
// no authentication: bind localwise to a loopback address.
//
// Each surface keeps its state in its own state_*.go file behind its own
// lock (see [Server]); the handlers of a surface are in a file named for it.
//
// Memory is bounded whatever clients send: request bodies are capped, and
// every table that callers can grow (tokens, codes, pending authorizations,
// signed-up users, clients, uploaded JOSE keys, JOSE key versions,
// one-time tokens, SCA factors and keys, per-call counters) has a
// limit, evicting oldest entries first where eviction is harmless and
// refusing new entries where it is not.
package localwise
