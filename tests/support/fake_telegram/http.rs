//! Just enough HTTP/1.1 for the Bot API: keep-alive, `Content-Length` and form bodies, dropped connections on demand.

use super::*;

/// One parsed HTTP request.
pub(super) struct HttpRequest {
    pub(super) target: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) keep_alive: bool,
}

impl HttpRequest {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Query-string parameters overlaid with body parameters (JSON object or urlencoded form).
    pub(super) fn params(&self, query: &str) -> Result<Map<String, Value>, ApiError> {
        let mut params = Map::new();
        for (key, value) in parse_urlencoded(query) {
            params.insert(key, Value::String(value));
        }
        if self.body.is_empty() {
            return Ok(params);
        }
        let content_type = self
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for (key, value) in parse_urlencoded(&String::from_utf8_lossy(&self.body)) {
                params.insert(key, Value::String(value));
            }
        } else if content_type.starts_with("multipart/") {
            // teloxide sends setWebhook (and file uploads) as multipart; text
            // fields are read like a form, file parts are not supported.
            let original = self.header("content-type").unwrap_or_default();
            let fields = parse_multipart(original, &self.body).ok_or_else(|| {
                ApiError::bad_request(
                    "multipart/form-data with file parts is not supported by the fake server",
                )
            })?;
            for (key, value) in fields {
                params.insert(key, Value::String(value));
            }
        } else if content_type.starts_with("application/json") || self.body.first() == Some(&b'{') {
            match serde_json::from_slice::<Value>(&self.body) {
                Ok(Value::Object(body)) => params.extend(body),
                Ok(_) => return Err(ApiError::bad_request("request body must be a JSON object")),
                Err(err) => {
                    return Err(ApiError::bad_request(format!(
                        "can't parse request JSON: {err}"
                    )))
                }
            }
        }
        Ok(params)
    }
}

/// Why no request could be read from a connection.
pub(super) enum ReadError {
    /// The peer closed the connection (cleanly or mid-request): nothing to answer.
    Closed,
    /// The request is unusable: answer with this status and description, then close.
    Respond(u16, &'static str),
}

pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Owning the connection tasks here means aborting this task aborts them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(shared.clone(), stream));
                }
                // E.g. out of file descriptors under load: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

pub(super) async fn serve_connection(shared: Arc<Shared>, mut stream: TcpStream) {
    let mut buffer = Vec::with_capacity(8192);
    loop {
        let request = match read_request(&mut stream, &mut buffer).await {
            Ok(request) => request,
            Err(ReadError::Closed) => return,
            Err(ReadError::Respond(status, description)) => {
                let body = json!({ "ok": false, "error_code": status, "description": description });
                let _ = write_response(&mut stream, status, &body, false).await;
                return;
            }
        };
        let keep_alive = request.keep_alive;
        let path = request
            .target
            .split('?')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let outcome = if path.ends_with("/getupdates") {
            // A long poll can outlive its client: stop polling once the peer hangs up, so an
            // abandoned poll neither lingers nor gets reported as superseded (409).
            let mut handling = pin!(shared.handle(request));
            loop {
                tokio::select! {
                    outcome = &mut handling => break Some(outcome),
                    read = stream.read_buf(&mut buffer), if buffer.len() < MAX_HEAD_BYTES => {
                        if matches!(read, Ok(0) | Err(_)) {
                            break None;
                        }
                    }
                }
            }
        } else {
            Some(shared.handle(request).await)
        };
        match outcome {
            None | Some(Outcome::Drop) => return,
            Some(Outcome::Respond(status, body)) => {
                if write_response(&mut stream, status, &body, keep_alive)
                    .await
                    .is_err()
                    || !keep_alive
                {
                    return;
                }
            }
        }
    }
}

/// Reads one request (head + `Content-Length` body) from `stream`, keeping any bytes of the
/// next request in `buffer` for pipelining.
pub(super) async fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Result<HttpRequest, ReadError> {
    let head_end = loop {
        // Tolerate stray CRLFs between requests (RFC 9112 §2.2).
        let blank = buffer
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        buffer.drain(..blank);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(ReadError::Respond(431, "Request Header Fields Too Large"));
        }
        if !read_more(stream, buffer).await {
            return Err(ReadError::Closed);
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_ascii_whitespace();
    let (Some(_method), Some(target), Some(version), None) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(ReadError::Respond(
            400,
            "Bad Request: malformed request line",
        ));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Respond(505, "HTTP Version Not Supported"));
    }
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Respond(
                400,
                "Bad Request: malformed header line",
            ));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    if headers.iter().any(|(name, _)| name == "transfer-encoding") {
        return Err(ReadError::Respond(
            411,
            "Length Required: chunked request bodies are not supported",
        ));
    }
    let mut content_length = None;
    for (_, value) in headers.iter().filter(|(name, _)| name == "content-length") {
        let Ok(length) = value.parse::<usize>() else {
            return Err(ReadError::Respond(
                400,
                "Bad Request: invalid Content-Length",
            ));
        };
        if content_length.is_some_and(|previous| previous != length) {
            return Err(ReadError::Respond(
                400,
                "Bad Request: conflicting Content-Length headers",
            ));
        }
        content_length = Some(length);
    }
    let content_length = content_length.unwrap_or(0);
    if content_length > MAX_BODY_BYTES {
        return Err(ReadError::Respond(413, "Payload Too Large"));
    }
    let connection = headers
        .iter()
        .filter(|(name, _)| name == "connection")
        .map(|(_, value)| value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    let keep_alive = if version == "HTTP/1.0" {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    };
    let body_start = head_end + 4;
    let expects_continue = headers
        .iter()
        .any(|(n, v)| n == "expect" && v.eq_ignore_ascii_case("100-continue"));
    if expects_continue && buffer.len() < body_start + content_length {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await;
    }
    while buffer.len() < body_start + content_length {
        if !read_more(stream, buffer).await {
            return Err(ReadError::Closed);
        }
    }
    let body = buffer[body_start..body_start + content_length].to_vec();
    buffer.drain(..body_start + content_length);
    Ok(HttpRequest {
        target: target.to_owned(),
        headers,
        body,
        keep_alive,
    })
}

/// Reads more bytes into `buffer`; false when the peer closed the connection or it failed.
pub(super) async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    buffer.reserve(8192);
    matches!(stream.read_buf(buffer).await, Ok(n) if n > 0)
}

pub(super) async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    body: &Value,
    keep_alive: bool,
) -> std::io::Result<()> {
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status} {}\r\nServer: fake-telegram\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{body}",
        reason_phrase(status),
        body.len(),
        if keep_alive { "keep-alive" } else { "close" },
    );
    stream.write_all(response.as_bytes()).await?;
    stream.flush().await
}

pub(super) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    }
}

/// Splits `a=1&b=x%20y` into decoded pairs (`+` means space).
/// The text fields of a `multipart/form-data` body; `None` when it is malformed
/// or carries a file (a part with a `filename`).
pub(super) fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<(String, String)>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let body = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, value) = part.split_once("\r\n\r\n")?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        if disposition.contains("filename=") {
            return None;
        }
        let name = disposition.split(';').find_map(|p| {
            p.trim()
                .strip_prefix("name=")
                .map(|n| n.trim_matches('"').to_string())
        })?;
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        fields.push((name, value.to_string()));
    }
    Some(fields)
}

pub(super) fn parse_urlencoded(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect()
}

/// Decodes `%XX` escapes (invalid ones are kept literally) and optionally `+` as space.
pub(super) fn percent_decode(input: &str, plus_as_space: bool) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                if let (Some(high), Some(low)) = (
                    bytes.get(i + 1).and_then(|&b| hex(b)),
                    bytes.get(i + 2).and_then(|&b| hex(b)),
                ) {
                    out.push(high * 16 + low);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' if plus_as_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
