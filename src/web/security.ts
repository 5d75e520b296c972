/** Security headers. Pages use no inline script; /docs (Swagger UI) gets the exceptions it needs. */
import fp from 'fastify-plugin';
import fastifyHelmet from '@fastify/helmet';

export default fp(async (app) => {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    // The platform may run on plain http on an intranet; HSTS is for the TLS proxy in front to send.
    hsts: false,
    // Same-site requests carry the page they came from (a refused form returns the address bar to it,
    // src/web/views.ts); other sites get nothing, as with helmet's default no-referrer.
    referrerPolicy: { policy: 'same-origin' },
  });
});
