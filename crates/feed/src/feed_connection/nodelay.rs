//! The TCP connector under the upstream's awc client: awc's own, with Nagle's algorithm
//! turned off on every socket it opens. The feed's writes are few (subscriptions, pongs)
//! but each is a whole message the broker acts on; none should wait for a delayed ACK.

use std::future::Future;
use std::pin::Pin;

use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection, ConnectorService, Host};
use actix_web::rt::net::TcpStream;

/// awc's default resolver and TCP connector, then `TCP_NODELAY` on the stream.
#[derive(Clone, Default)]
pub struct NoDelayConnector(ConnectorService);

impl<R: Host + 'static> Service<ConnectInfo<R>> for NoDelayConnector {
    type Response = Connection<R, TcpStream>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ConnectError>>>>;

    actix_service::always_ready!();

    fn call(&self, req: ConnectInfo<R>) -> Self::Future {
        let connecting = self.0.call(req);
        Box::pin(async move {
            let connection = connecting.await?;
            if let Err(e) = connection.io_ref().set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY on the upstream socket");
            }
            Ok(connection)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_rt::test]
    async fn sockets_it_opens_have_nagle_off() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let connection = NoDelayConnector::default()
            .call(ConnectInfo::new("127.0.0.1".to_string()).set_port(port))
            .await
            .expect("connects on loopback");
        assert!(
            connection.io_ref().nodelay().expect("read TCP_NODELAY"),
            "TCP_NODELAY set"
        );
    }
}
