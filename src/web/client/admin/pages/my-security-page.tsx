import type { Me } from '../session.js';
import { can } from '../session.js';
import { PageHeader } from '../ui.js';
import { FactorsPanel } from './factors-panel.js';

/** "My sign-in security": the signed-in user's own second factors for the console sign-in. */
export function MySecurityPage({ me }: { me: Me }) {
  return (
    <section>
      <PageHeader title="My sign-in security" />
      <p class="muted">
        An authenticator app or a passkey protects your console sign-in: once one is set up, signing in asks
        for it after the password (for administrators, by default). Recovery codes stand in for a lost device.
      </p>
      <FactorsPanel
        subject={{ type: 'me' }}
        whose="Your"
        canEnrol
        canReset={can(me.role, 'users.manage')}
        allowPin={false}
      />
    </section>
  );
}
