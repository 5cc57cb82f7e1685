//! What the Dhan and Kite feed endpoints share: reading the credentials from the
//! upgrade query, and the WebSocket frames both answer the same way. The rest of each
//! feed (auth verdicts, limits, logging) stays in its own `ws.rs`.

use actix::prelude::*;
use actix_web::HttpRequest;
use actix_web_actors::ws;

/// The values of the query parameters `first` and `second`, empty when absent; a
/// repeated parameter keeps its last value. Both feeds carry credentials this way.
pub fn query_pair(req: &HttpRequest, first: &str, second: &str) -> (String, String) {
    let (mut a, mut b) = (String::new(), String::new());
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if k == first {
            a = v.into_owned();
        } else if k == second {
            b = v.into_owned();
        }
    }
    (a, b)
}

/// Handle one well-formed client frame: text goes to `on_text` (the broker's request
/// parser), pings are answered, a close is honoured. Binary frames (Dhan's v1
/// disconnect trailer), pongs and continuations mean nothing to either feed.
pub fn on_frame<A>(
    msg: ws::Message,
    ctx: &mut ws::WebsocketContext<A>,
    on_text: impl FnOnce(&str, &mut ws::WebsocketContext<A>),
) where
    A: Actor<Context = ws::WebsocketContext<A>>,
{
    match msg {
        ws::Message::Text(text) => on_text(&text, ctx),
        ws::Message::Ping(payload) => ctx.pong(&payload),
        ws::Message::Binary(_) | ws::Message::Pong(_) | ws::Message::Continuation(_) => {}
        ws::Message::Nop => {}
        ws::Message::Close(reason) => {
            ctx.close(reason);
            ctx.stop();
        }
    }
}
