// A strict third-party OAuth 2.0 client against localwise: oauth4webapi,
// which form-urlencodes client_secret_basic credentials as RFC 6749 §2.3.1
// says, checks every response it reads, and uses PKCE and state.
//
// npmclient_test.go runs it and talks to it over stdin/stdout, one JSON
// object a line, so no secret is ever in argv:
//   in:  {"api_url","token_path","authorize_url","client_id","client_secret","redirect_uri"}
//   out: {"authorize_url"}          (the test plays the browser on it)
//   in:  {"callback"}               (where the consent page redirected)
//   out: {"result":{...}}           (what each grant gave)
// Any failure ends the process with a non-zero exit and a message on stderr.
import * as oauth from 'oauth4webapi';
import { createInterface } from 'node:readline';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function receive() {
  const { value, done } = await lines.next();
  if (done) throw new Error('stdin closed early');
  return JSON.parse(value);
}

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// describe keeps what a test may check of a failed call: never a token.
function describe(e) {
  if (e instanceof oauth.ResponseBodyError) {
    return { name: e.name, status: e.status, error: e.error, error_description: e.error_description };
  }
  if (e instanceof oauth.WWWAuthenticateChallengeError) {
    return { name: e.name, status: e.status, schemes: e.cause.map((c) => c.scheme) };
  }
  return { name: e.name, message: e.message };
}

const cfg = await receive();
const as = {
  issuer: cfg.api_url,
  token_endpoint: cfg.api_url + cfg.token_path,
  authorization_endpoint: cfg.authorize_url,
};
const client = { client_id: cfg.client_id };
const auth = oauth.ClientSecretBasic(cfg.client_secret);
// localwise is plain HTTP on a loopback address.
const insecure = { [oauth.allowInsecureRequests]: true };
const result = {};

// client_credentials.
let response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure);
const cc = await oauth.processClientCredentialsResponse(as, client, response);
result.client_credentials = {
  access_token: cc.access_token,
  token_type: cc.token_type,
  expires_in: cc.expires_in,
  has_refresh_token: cc.refresh_token !== undefined,
};

// authorization_code with PKCE S256 and state; Wise wants client_id in the
// body too.
const verifier = oauth.generateRandomCodeVerifier();
const state = oauth.generateRandomState();
const authorize = new URL(as.authorization_endpoint);
authorize.searchParams.set('client_id', client.client_id);
authorize.searchParams.set('redirect_uri', cfg.redirect_uri);
authorize.searchParams.set('response_type', 'code');
authorize.searchParams.set('state', state);
authorize.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
authorize.searchParams.set('code_challenge_method', 'S256');
send({ authorize_url: authorize.href });
const { callback } = await receive();
const params = oauth.validateAuthResponse(as, client, new URL(callback), state);
response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, cfg.redirect_uri, verifier, {
  ...insecure,
  additionalParameters: { client_id: client.client_id },
});
const user = await oauth.processAuthorizationCodeResponse(as, client, response);
result.authorization_code = {
  access_token: user.access_token,
  refresh_token: user.refresh_token,
  token_type: user.token_type,
  profile_id: new URL(callback).searchParams.get('profileId'),
};

// refresh_token: localwise rotates it.
response = await oauth.refreshTokenGrantRequest(as, client, auth, user.refresh_token, insecure);
const refreshed = await oauth.processRefreshTokenResponse(as, client, response);
result.refresh = { access_token: refreshed.access_token, refresh_token: refreshed.refresh_token };

// A grant localwise does not know, and a wrong secret: the errors as this
// client understands them.
try {
  response = await oauth.genericTokenEndpointRequest(as, client, auth, 'password',
    new URLSearchParams({ username: 'someone', password: 'something' }), insecure);
  await oauth.processGenericTokenEndpointResponse(as, client, response);
  result.unsupported_grant = { name: 'no error' };
} catch (e) {
  result.unsupported_grant = describe(e);
}
try {
  response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(cfg.client_secret + 'x'),
    new URLSearchParams(), insecure);
  await oauth.processClientCredentialsResponse(as, client, response);
  result.wrong_secret = { name: 'no error' };
} catch (e) {
  result.wrong_secret = describe(e);
}

send({ result });
process.exit(0);
