// A real OpenID provider for the single sign-on tests: panva's oidc-provider with its
// development login form (any password), one confidential client that must use PKCE, and
// accounts read from a JSON file at every login so a test can change someone's groups.
//
// node provider.mjs <port> <app-port> <accounts.json>; prints "READY <issuer>" when listening.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, appPort, accountsFile] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const app = `http://127.0.0.1:${appPort}`;

function accounts() {
  return JSON.parse(readFileSync(accountsFile, 'utf8'));
}

const plainPage = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8">
<title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

const configuration = {
  clients: [{
    client_id: 'nakyma',
    client_secret: 'nakyma-testiasiakkaan-salaisuus',
    redirect_uris: [`${app}/kirjaudu/sso/paluu`],
    post_logout_redirect_uris: [`${app}/kirjaudu`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name', 'groups'], email: ['email'] },
  // The claims of the granted scopes go into the ID token (as Entra ID and Keycloak can be
  // set to do), not only into the userinfo answer.
  conformIdTokenClaims: false,
  ttl: { IdToken: Number(process.env.ID_TOKEN_TTL || 600) },
  cookies: { keys: ['nakyma-test-provider-cookie-key'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = plainPage('Kirjaudu ulos', `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Kirjaudu ulos palvelusta</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = plainPage('Uloskirjautuminen onnistui', '');
      },
    },
  },
  // A first-party client: no consent screen, every asked scope and claim is granted.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...accounts()[id] };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`READY ${issuer}`);
});
