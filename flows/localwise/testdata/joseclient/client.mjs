// An independent JOSE client against localwise's JOSE surface: the npm
// package jose (panva/jose, on WebCrypto), which shares no code with
// localwise's go-jose server side or with the project's own client.
//
// jose_npm_test.go runs it with one JSON line on stdin, {"api_url","token"}
// (a client-credentials token, so no secret is in argv), and reads one JSON
// line from stdout: what each step sent and what it read back, checked by
// jose itself (signatures verified, answers decrypted). Any failure ends
// the process with a non-zero exit and a message on stderr.
import * as jose from 'jose';
import { createInterface } from 'node:readline';
import { randomUUID, getRandomValues } from 'node:crypto';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const { value } = await lines.next();
const cfg = JSON.parse(value);
const enc = new TextEncoder();
const dec = new TextDecoder();

async function call(method, path, { body, joseMethod, json } = {}) {
  const headers = { Authorization: `Bearer ${cfg.token}`, 'Accept-Encoding': 'identity' };
  if (joseMethod) {
    headers.Accept = 'application/jose+json';
    headers['X-TW-JOSE-Method'] = joseMethod;
    if (body !== undefined) headers['Content-Type'] = 'application/jose+json';
  }
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  const res = await fetch(cfg.api_url + path, { method, headers, body });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    traceId: res.headers.get('x-trace-id'),
    reason: res.headers.get('x-localwise-reason'),
    text: await res.text(),
  };
}

// Wise's key material: base64 of the DER SubjectPublicKeyInfo, which is a
// PEM public key's body.
const derOf = (pem) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
const pemOf = (der) => `-----BEGIN PUBLIC KEY-----\n${der}\n-----END PUBLIC KEY-----\n`;
const wiseTime = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

async function upload(scope, alg, publicKey) {
  const keyId = randomUUID();
  const r = await call('POST', '/v1/auth/jose/request/public-keys', {
    json: {
      keyId, scope,
      validFrom: wiseTime(Date.now() - 60_000), validTill: wiseTime(Date.now() + 86_400_000),
      publicKeyMaterial: { algorithm: alg, keyMaterial: derOf(await jose.exportSPKI(publicKey)) },
    },
  });
  if (r.status !== 201) throw new Error(`upload ${scope} ${alg}: ${r.status} ${r.text}`);
  return { keyId, echo: JSON.parse(r.text) };
}

async function wiseKey(scope, algorithm, importAlg) {
  const r = await call('GET', `/v1/auth/jose/response/public-keys?scope=${scope}&algorithm=${algorithm}`);
  if (r.status !== 200) throw new Error(`fetch ${scope}: ${r.status} ${r.text}`);
  const body = JSON.parse(r.text);
  return { body, key: await jose.importSPKI(pemOf(body.keyMaterial.keyMaterial), importAlg) };
}

const message = (m) => enc.encode(JSON.stringify({ message: m }));
const verifyWise = async (token, key) => {
  const { payload, protectedHeader } = await jose.compactVerify(token, key, { algorithms: ['ES512'] });
  return { header: protectedHeader, answer: JSON.parse(dec.decode(payload)) };
};
const decryptWith = async (token, key, alg) => {
  const { plaintext, protectedHeader } = await jose.compactDecrypt(token, key, {
    keyManagementAlgorithms: [alg], contentEncryptionAlgorithms: ['A256GCM'],
  });
  return { header: protectedHeader, plaintext: dec.decode(plaintext) };
};
const refusal = (r) => ({ status: r.status, reason: r.reason, body: JSON.parse(r.text) });

const es256 = await jose.generateKeyPair('ES256', { extractable: true });
const ps256 = await jose.generateKeyPair('PS256', { extractable: true, modulusLength: 2048 });
const rsa = await jose.generateKeyPair('RSA-OAEP-256', { extractable: true, modulusLength: 2048 });
const sigES = await upload('PAYLOAD_SIGNING', 'ES256', es256.publicKey);
const sigPS = await upload('PAYLOAD_SIGNING', 'PS256', ps256.publicKey);
const encKey = await upload('PAYLOAD_ENCRYPTION', 'RSA_OAEP_256', rsa.publicKey);
const wiseSig = await wiseKey('PAYLOAD_SIGNING', 'ES512', 'ES512');
const wiseEnc = await wiseKey('PAYLOAD_ENCRYPTION', 'RSA_OAEP_256', 'RSA-OAEP-256');
const out = { upload_echo: encKey.echo, enc_key_id: encKey.keyId, wise_signing: wiseSig.body, wise_encryption: wiseEnc.body };

const P = '/v1/auth/jose/playground/';
const sign = (alg, key, kid, url, m) => new jose.CompactSign(message(m)).setProtectedHeader({ alg, kid, url }).sign(key);
const encrypt = (url, plaintext, header = {}) =>
  new jose.CompactEncrypt(plaintext).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', url, ...header }).encrypt(wiseEnc.key);

// JWS, with each signing key.
out.jws = {};
for (const [alg, k, kid] of [['ES256', es256, sigES.keyId], ['PS256', ps256, sigPS.keyId]]) {
  const r = await call('POST', P + 'jws', { joseMethod: 'jws', body: await sign(alg, k.privateKey, kid, P + 'jws', `from jose ${alg}`) });
  if (r.status !== 200) throw new Error(`jws ${alg}: ${r.status} ${r.text}`);
  out.jws[alg] = { contentType: r.contentType, ...(await verifyWise(r.text, wiseSig.key)) };
}

// JWE, POST and GET.
let r = await call('POST', P + 'jwe', { joseMethod: 'jwe', body: await encrypt(P + 'jwe', message('from jose jwe')) });
if (r.status !== 200) throw new Error(`jwe: ${r.status} ${r.text}`);
out.jwe = await decryptWith(r.text, rsa.privateKey, 'RSA-OAEP-256');
r = await call('GET', P + 'jwe', { joseMethod: 'jwe' });
if (r.status !== 200) throw new Error(`jwe GET: ${r.status} ${r.text}`);
out.jwe_get = await decryptWith(r.text, rsa.privateKey, 'RSA-OAEP-256');

// Direct: jose lets the caller choose the CEK, and the answer comes back
// encrypted with it (alg dir).
const cek = getRandomValues(new Uint8Array(32));
const direct = await new jose.CompactEncrypt(message('1234'))
  .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', url: P + 'jwe-direct-encryption' })
  .setContentEncryptionKey(cek)
  .encrypt(wiseEnc.key);
r = await call('POST', P + 'jwe-direct-encryption', { joseMethod: 'jwe', body: direct });
if (r.status !== 200) throw new Error(`direct: ${r.status} ${r.text}`);
out.direct = await decryptWith(r.text, cek, 'dir');

// JWS+JWE: sign, then encrypt the compact JWS; the answer is decrypted,
// then verified.
const inner = await sign('ES256', es256.privateKey, sigES.keyId, P + 'jwsjwe', 'from jose jwsjwe');
r = await call('POST', P + 'jwsjwe', { joseMethod: 'jws+jwe', body: await encrypt(P + 'jwsjwe', enc.encode(inner)) });
if (r.status !== 200) throw new Error(`jwsjwe: ${r.status} ${r.text}`);
const outer = await decryptWith(r.text, rsa.privateKey, 'RSA-OAEP-256');
out.jwsjwe = { outer: outer.header, ...(await verifyWise(outer.plaintext, wiseSig.key)) };

// Refusals, each made the way this library makes such tokens.
const good = await sign('ES256', es256.privateKey, sigES.keyId, P + 'jws', 'x');
const [h, p, s] = good.split('.');
const flipped = jose.base64url.decode(s);
flipped[10] ^= 1;
const spki = Buffer.from(derOf(await jose.exportSPKI(es256.publicKey)), 'base64');
out.refused = {
  tampered: refusal(await call('POST', P + 'jws', { joseMethod: 'jws', body: `${h}.${p}.${jose.base64url.encode(flipped)}` })),
  wrong_url: refusal(await call('POST', P + 'jws', { joseMethod: 'jws', body: await sign('ES256', es256.privateKey, sigES.keyId, P + 'jwe', 'x') })),
  unknown_kid: refusal(await call('POST', P + 'jws', { joseMethod: 'jws', body: await sign('ES256', es256.privateKey, randomUUID(), P + 'jws', 'x') })),
  alg_none: refusal(await call('POST', P + 'jws', { joseMethod: 'jws', body: new jose.UnsecuredJWT({ message: 'x' }).encode() })),
  hs256_public_key: refusal(await call('POST', P + 'jws', {
    joseMethod: 'jws',
    body: await new jose.CompactSign(message('x')).setProtectedHeader({ alg: 'HS256', kid: sigES.keyId, url: P + 'jws' }).sign(spki),
  })),
  a128gcm: refusal(await call('POST', P + 'jwe', {
    joseMethod: 'jwe',
    body: await new jose.CompactEncrypt(message('x')).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A128GCM', url: P + 'jwe' }).encrypt(wiseEnc.key),
  })),
  long_message: refusal(await call('POST', P + 'jwe', { joseMethod: 'jwe', body: await encrypt(P + 'jwe', message('m'.repeat(101))) })),
};
process.stdout.write(JSON.stringify(out) + '\n');
