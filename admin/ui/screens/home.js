// Home: the landing screen after sign-in.
import { html } from '../lib.js';

export function Home({ me }) {
  return html`<h1>Welcome, ${me.name || me.email}</h1>
    <div class="panel">
      <p>Choose a screen above. You hold: ${me.isShopOwner ? 'every permission (shop owner)' : me.permissions.join(', ') || 'no permission'}.</p>
    </div>`;
}
