use super::*;

const TRADE: &str = "trade-key-0123456789";
const READ: &str = "read-key-0123456789";

fn keyed() -> Policy {
    Policy {
        keys: ClientKeys::parse(&format!("trade:{TRADE},read:{READ}"), "test").expect("keys"),
        cors_origins: vec!["http://localhost:3000".into()],
        ..Policy::default()
    }
}

fn keyless() -> Policy {
    Policy {
        cors_origins: vec!["http://localhost:3000".into()],
        ..Policy::default()
    }
}

fn facts<'a>(method: &'a str, path: &'a str) -> RequestFacts<'a> {
    RequestFacts {
        method,
        path,
        host: Some("127.0.0.1:8000"),
        peer_loopback: true,
        ..RequestFacts::default()
    }
}

struct TestCase<'a> {
    name: &'static str,
    policy: Policy,
    facts: RequestFacts<'a>,
    expect: Result<Access, &'static str>,
}

#[test]
fn decisions() {
    let json = Some("application/json");
    let cases = [
        TestCase {
            name: "dashboard files are public even with keys",
            policy: keyed(),
            facts: facts("GET", "/app.js"),
            expect: Ok(Access::Public),
        },
        TestCase {
            name: "no key on a client route is 401",
            policy: keyed(),
            facts: facts("GET", "/api/orders"),
            expect: Err("unauthorized"),
        },
        TestCase {
            name: "no key on the socket is 401",
            policy: keyed(),
            facts: facts("GET", "/ws"),
            expect: Err("unauthorized"),
        },
        TestCase {
            name: "a wrong bearer is 401",
            policy: keyed(),
            facts: RequestFacts {
                bearer: Some("nope-nope-nope-nope"),
                ..facts("GET", "/prices")
            },
            expect: Err("unauthorized"),
        },
        TestCase {
            name: "a read key reads",
            policy: keyed(),
            facts: RequestFacts {
                bearer: Some(READ),
                ..facts("GET", "/api/positions")
            },
            expect: Ok(Access::Client(Scope::Read)),
        },
        TestCase {
            name: "a read key cannot place an order",
            policy: keyed(),
            facts: RequestFacts {
                bearer: Some(READ),
                content_type: json,
                has_body: true,
                ..facts("POST", "/api/orders")
            },
            expect: Err("read_only_key"),
        },
        TestCase {
            name: "a trade key places an order",
            policy: keyed(),
            facts: RequestFacts {
                bearer: Some(TRADE),
                content_type: json,
                has_body: true,
                ..facts("POST", "/api/orders")
            },
            expect: Ok(Access::Client(Scope::Trade)),
        },
        TestCase {
            name: "a login cookie of trade scope places a JSON order from our own page",
            policy: keyed(),
            facts: RequestFacts {
                session_scope: Some(Scope::Trade),
                origin: Some("http://127.0.0.1:8000"),
                content_type: json,
                has_body: true,
                ..facts("POST", "/api/orders")
            },
            expect: Ok(Access::Client(Scope::Trade)),
        },
        TestCase {
            name: "a text/plain POST is refused even with a cookie",
            policy: keyed(),
            facts: RequestFacts {
                session_scope: Some(Scope::Trade),
                origin: Some("http://127.0.0.1:8000"),
                content_type: Some("text/plain"),
                has_body: true,
                ..facts("POST", "/api/orders")
            },
            expect: Err("json_required"),
        },
        TestCase {
            name: "another origin cannot open the socket",
            policy: keyless(),
            facts: RequestFacts {
                origin: Some("http://127.0.0.1:9999"),
                ..facts("GET", "/ws")
            },
            expect: Err("origin_not_allowed"),
        },
        TestCase {
            name: "the null origin is refused",
            policy: keyless(),
            facts: RequestFacts {
                origin: Some("null"),
                ..facts("GET", "/ws/prices")
            },
            expect: Err("origin_not_allowed"),
        },
        TestCase {
            name: "our own origin opens the socket",
            policy: keyless(),
            facts: RequestFacts {
                origin: Some("http://127.0.0.1:8000"),
                ..facts("GET", "/ws")
            },
            expect: Ok(Access::Client(Scope::Trade)),
        },
        TestCase {
            name: "a CORS origin the operator listed is allowed",
            policy: keyless(),
            facts: RequestFacts {
                origin: Some("http://localhost:3000"),
                ..facts("GET", "/ws")
            },
            expect: Ok(Access::Client(Scope::Trade)),
        },
        TestCase {
            name: "a cross-origin text/plain order is refused by origin",
            policy: keyless(),
            facts: RequestFacts {
                origin: Some("http://evil.example"),
                content_type: Some("text/plain"),
                has_body: true,
                ..facts("POST", "/api/orders")
            },
            expect: Err("origin_not_allowed"),
        },
        TestCase {
            name: "keyless mode serves a local bot without an origin",
            policy: keyless(),
            facts: RequestFacts {
                content_type: json,
                has_body: true,
                ..facts("POST", "/api/orders")
            },
            expect: Ok(Access::Client(Scope::Trade)),
        },
        TestCase {
            name: "keyless mode refuses what came through a proxy",
            policy: keyless(),
            facts: RequestFacts {
                proxied: true,
                ..facts("GET", "/api/orders")
            },
            expect: Err("api_keys_required"),
        },
        TestCase {
            name: "keyless mode refuses a rebound DNS name",
            policy: keyless(),
            facts: RequestFacts {
                host: Some("evil.example:8000"),
                ..facts("GET", "/api/orders")
            },
            expect: Err("bad_host"),
        },
        TestCase {
            name: "admin from a direct loopback peer without a token",
            policy: keyless(),
            facts: facts("POST", "/api/admin/master/reload"),
            expect: Ok(Access::Admin),
        },
        TestCase {
            name: "admin behind a proxy header needs the token even from 127.0.0.1",
            policy: keyless(),
            facts: RequestFacts {
                proxied: true,
                ..facts("POST", "/api/admin/crash/feed")
            },
            expect: Err("forbidden"),
        },
        TestCase {
            name: "admin from a remote peer is refused",
            policy: keyed(),
            facts: RequestFacts {
                peer_loopback: false,
                ..facts("POST", "/api/auth/token")
            },
            expect: Err("forbidden"),
        },
        TestCase {
            name: "admin with the right token through a proxy",
            policy: Policy {
                admin_token: Some("admin-token-0123456789".into()),
                ..keyed()
            },
            facts: RequestFacts {
                proxied: true,
                bearer: Some("admin-token-0123456789"),
                ..facts("POST", "/api/admin/master/reload")
            },
            expect: Ok(Access::Admin),
        },
        TestCase {
            name: "with a token set, loopback without it is refused",
            policy: Policy {
                admin_token: Some("admin-token-0123456789".into()),
                ..keyless()
            },
            facts: facts("POST", "/api/admin/master/reload"),
            expect: Err("forbidden"),
        },
        TestCase {
            name: "a cross-origin page cannot post a broker token even to loopback",
            policy: keyless(),
            facts: RequestFacts {
                origin: Some("http://evil.example"),
                content_type: Some("text/plain"),
                has_body: true,
                ..facts("POST", "/api/auth/token")
            },
            expect: Err("origin_not_allowed"),
        },
        TestCase {
            name: "a listed host passes with its port",
            policy: Policy {
                allowed_hosts: vec!["mandi.example.com".into()],
                ..keyed()
            },
            facts: RequestFacts {
                host: Some("mandi.example.com:443"),
                bearer: Some(READ),
                ..facts("GET", "/prices")
            },
            expect: Ok(Access::Client(Scope::Read)),
        },
        TestCase {
            name: "an unlisted host is refused",
            policy: Policy {
                allowed_hosts: vec!["mandi.example.com".into()],
                ..keyed()
            },
            facts: RequestFacts {
                host: Some("other.example.com"),
                bearer: Some(READ),
                ..facts("GET", "/prices")
            },
            expect: Err("bad_host"),
        },
        TestCase {
            name: "login is open but must be JSON",
            policy: keyed(),
            facts: RequestFacts {
                content_type: Some("application/x-www-form-urlencoded"),
                has_body: true,
                ..facts("POST", "/api/auth/login")
            },
            expect: Err("json_required"),
        },
    ];
    for case in cases {
        let got = case.policy.decide(&case.facts);
        match (&got, &case.expect) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", case.name),
            (Err(r), Err(code)) => assert_eq!(r.code, *code, "{}: {}", case.name, r.message),
            _ => panic!("{}: got {got:?}, expected {:?}", case.name, case.expect),
        }
    }
}

#[test]
fn host_names_split_from_ports() {
    for (host, name) in [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("localhost", "localhost"),
        ("[::1]:8000", "::1"),
        ("example.com:443", "example.com"),
    ] {
        assert_eq!(host_name(host), name, "{host}");
    }
}
