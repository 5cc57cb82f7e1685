//! The terminal's root: lays out the panels, each its own module under panels/, and opens
//! the one /ws connection (lib/socket.js) they share. Preact + htm, vendored; no build step.
import { html, render } from './vendor/preact-htm.module.js';
import { start } from './lib/socket.js';
import { TopBar, Footer } from './panels/status.js';
import { WatchlistPanel } from './panels/watchlist.js';
import { ChainPanel } from './panels/chain.js';
import { DepthPanel } from './panels/depth.js';
import { TicketPanel } from './panels/ticket.js';
import { BooksPanel } from './panels/books.js';
import { BotsPanel } from './panels/bots.js';
import { ChartPanel } from './panels/chart.js';

function Terminal() {
  return html`
    <${TopBar} />
    <main class="terminal">
      <div class="area-watchlist"><${WatchlistPanel} /></div>
      <div class="area-chart"><${ChartPanel} /></div>
      <div class="area-side"><${DepthPanel} /><${TicketPanel} /></div>
      <div class="area-chain"><${ChainPanel} /></div>
      <div class="area-books"><${BooksPanel} /></div>
      <div class="area-bots"><${BotsPanel} /></div>
    </main>
    <${Footer} />`;
}

render(html`<${Terminal} />`, document.getElementById('root'));
start();
