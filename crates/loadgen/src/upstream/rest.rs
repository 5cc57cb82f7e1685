//! Dhan's REST as far as mandi's start needs it: `GET /v2/profile`, the token pre-flight
//! check, answered 200 for the fake's credentials and 401 (Dhan's error body) otherwise.
//! Plain HTTP/1.1 with keep-alive over tokio; anything else is a 404.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{ACCESS_TOKEN, CLIENT_ID};

/// A request head larger than this is not from mandi: drop the connection.
const MAX_HEAD_BYTES: usize = 16 * 1024;

pub async fn accept_loop(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(serve(stream));
    }
}

async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let head_end = loop {
            if let Some(at) = find(&buf, b"\r\n\r\n") {
                break at + 4;
            }
            if buf.len() > MAX_HEAD_BYTES || stream.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let body_len = header(&head, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        while buf.len() < head_end + body_len {
            if stream.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
        buf.drain(..head_end + body_len);
        let (status, body) = answer(&head);
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
    }
}

/// Status line text and JSON body for one request head.
fn answer(head: &str) -> (&'static str, String) {
    let path = head.split_whitespace().nth(1).unwrap_or("");
    if !head.starts_with("GET ") || path != "/v2/profile" {
        return ("404 Not Found", r#"{"errorType":"Input_Exception","errorCode":"DH-905","errorMessage":"not served by the load generator"}"#.into());
    }
    let authorized = header(head, "access-token") == Some(ACCESS_TOKEN)
        && header(head, "client-id") == Some(CLIENT_ID);
    if !authorized {
        return ("401 Unauthorized", r#"{"errorType":"Invalid_Authentication","errorCode":"DH-901","errorMessage":"Client ID or user generated access token is invalid or expired."}"#.into());
    }
    let body = serde_json::json!({
        "dhanClientId": CLIENT_ID,
        "activeSegment": "Equity, Derivative, Currency, Commodity",
        "dataPlan": "Active",
    });
    ("200 OK", body.to_string())
}

/// A header's value by lowercase name.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_answers() {
        let good = format!(
            "GET /v2/profile HTTP/1.1\r\naccess-token: {ACCESS_TOKEN}\r\nClient-Id: {CLIENT_ID}\r\n\r\n"
        );
        let cases = [
            ("good credentials", good.as_str(), "200 OK"),
            (
                "bad token",
                "GET /v2/profile HTTP/1.1\r\naccess-token: x\r\nclient-id: 1000000001\r\n\r\n",
                "401 Unauthorized",
            ),
            (
                "other path",
                "GET /v2/fundlimit HTTP/1.1\r\n\r\n",
                "404 Not Found",
            ),
            ("post", "POST /v2/profile HTTP/1.1\r\n\r\n", "404 Not Found"),
        ];
        for (name, head, want) in cases {
            assert_eq!(answer(head).0, want, "{name}");
        }
    }
}
