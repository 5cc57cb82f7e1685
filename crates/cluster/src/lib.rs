//! mandi on several machines. The backplane messages of `mandi_feed::backplane` carried
//! over NATS: the feed leader publishes each merged tick on its instrument's subject
//! (kept as the instrument's last value in a key-value bucket, the snapshot for late
//! subscribers) and the feed's and fallback's status; each edge writes its clients'
//! interest to its own key, and the leader's registry subscribes the union. Feed nodes
//! elect one leader through a key-value lease; only the leader opens broker connections.
//!
//! ```text
//!  feed leader: FeedConnection → PriceStore ─TicksPublished→ Publisher ─$KV.<p>_ticks.<SYM>→ NATS
//!               SubscriptionRegistry ◀─Subscribe/Release (edge:<node>)─ interest::follow ◀─watch─ <p>_interest
//!  edge:        NATS ─ticks→ EdgeUplink ─TicksReceived→ PriceStore → Broadcaster → clients
//!               its SubscriptionRegistry ─the edge's set→ EdgeUplink ─put <node>→ <p>_interest
//!  lease:       <p>_lease/leader, create-if-absent, revision-checked renewals, TTL
//! ```

pub mod codec;
pub mod edge;
pub mod interest;
pub mod lease;
pub mod link;
pub mod liveness;
pub mod master;
pub mod publisher;
pub mod report;
pub mod settings;
pub mod trading;

pub use link::{connect, Backplane, LinkError};
pub use report::{ClusterNode, ClusterReport};
pub use settings::{ClusterSettings, Role};
