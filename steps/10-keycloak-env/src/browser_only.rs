//! Beyond the blog (speed): the CORS layer only for requests a browser sent.
//!
//! Only a browser reads CORS headers, and a browser sends `Origin` on every
//! cross-origin request (Fetch standard, "CORS protocol"); a preflight is an
//! `OPTIONS`. MCP clients outside a browser (the SDKs, curl, an agent) send
//! neither, yet tower-http's CORS builds its header values for each of their
//! requests too: about 2 % of an authenticated `tools/call` in front of rmcp
//! (`scripts/bench_instructions.sh`). [`BrowserOnly`] sends such a request
//! past CORS, and its answer gets the one header that still matters without
//! an `Origin`: `Vary`, so that a cache in between does not hand this answer
//! to a browser, whose request would have been answered with CORS headers.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::http::{HeaderValue, Method, Request, Response, header};
use tower::{Layer, Service};
use tower_http::cors::{Cors, CorsLayer};

/// What tower-http's CORS says in `Vary` (its default: the request headers a
/// CORS answer depends on).
const VARY: HeaderValue = HeaderValue::from_static(
    "origin, access-control-request-method, access-control-request-headers",
);

/// `cors` for requests with an `Origin` and for every `OPTIONS`; for the
/// others, the inner service and `Vary`.
#[derive(Clone)]
pub struct BrowserOnlyLayer {
    cors: CorsLayer,
}

impl BrowserOnlyLayer {
    pub fn new(cors: CorsLayer) -> BrowserOnlyLayer {
        BrowserOnlyLayer { cors }
    }
}

impl<S: Clone> Layer<S> for BrowserOnlyLayer {
    type Service = BrowserOnly<S>;

    fn layer(&self, inner: S) -> BrowserOnly<S> {
        BrowserOnly {
            cors: self.cors.layer(inner.clone()),
            plain: inner,
        }
    }
}

/// The service of [`BrowserOnlyLayer`].
#[derive(Clone)]
pub struct BrowserOnly<S> {
    cors: Cors<S>,
    plain: S,
}

type Answer<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

impl<S, ReqB, ResB> Service<Request<ReqB>> for BrowserOnly<S>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone,
    S::Future: Send + 'static,
    S::Error: 'static,
    ResB: Default + Send + 'static,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = Answer<ResB, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.cors.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.plain.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        if request.method() == Method::OPTIONS || request.headers().contains_key(header::ORIGIN) {
            return Box::pin(self.cors.call(request));
        }
        let answer = self.plain.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            response.headers_mut().append(header::VARY, VARY);
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use axum::{Router, body::Body, routing::post};
    use tower::ServiceExt;

    use super::*;

    /// `/mcp` answering 200 (with `Vary: accept` of its own), behind `layer`.
    fn app<L>(layer: L) -> Router
    where
        L: Layer<Router>,
        L::Service: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Request<Body>>>::Future: Send + 'static,
    {
        let inner = Router::new().route(
            "/mcp",
            post(|| async { ([(header::VARY, "accept")], "ok") }),
        );
        Router::new().route_service("/mcp", layer.layer(inner))
    }

    async fn send(app: Router, request: Request<Body>) -> Response<Body> {
        app.oneshot(request).await.unwrap()
    }

    fn post_mcp(origin: Option<&str>) -> Request<Body> {
        let mut request = Request::post("/mcp");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.body(Body::empty()).unwrap()
    }

    fn values(response: &Response<Body>, name: header::HeaderName) -> Vec<String> {
        response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    fn cors_headers(response: &Response<Body>) -> Vec<String> {
        response
            .headers()
            .keys()
            .map(|name| name.as_str().to_string())
            .filter(|name| name.starts_with("access-control-"))
            .collect()
    }

    fn browser_only() -> BrowserOnlyLayer {
        BrowserOnlyLayer::new(crate::cors::layer(&["http://localhost:6274".into()]))
    }

    #[tokio::test]
    async fn without_an_origin_the_answer_has_vary_and_no_cors_header() {
        let response = send(app(browser_only()), post_mcp(None)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(cors_headers(&response), Vec::<String>::new());
        assert_eq!(
            values(&response, header::VARY),
            ["accept", VARY.to_str().unwrap()],
            "the inner Vary kept, CORS's added"
        );
    }

    #[tokio::test]
    async fn with_an_allowed_origin_the_answer_is_tower_https() {
        let origin = Some("http://localhost:6274");
        let ours = send(app(browser_only()), post_mcp(origin)).await;
        let theirs = send(
            app(crate::cors::layer(&["http://localhost:6274".into()])),
            post_mcp(origin),
        )
        .await;
        assert_eq!(ours.headers(), theirs.headers());
        assert_eq!(
            values(&ours, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            ["http://localhost:6274"]
        );
        assert!(
            values(&ours, header::ACCESS_CONTROL_EXPOSE_HEADERS)[0].contains("www-authenticate")
        );
    }

    /// A service with no room for a request yet.
    #[derive(Clone)]
    struct Busy;

    impl Service<Request<Body>> for Busy {
        type Response = Response<Body>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Response<Body>, Infallible>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Pending
        }
        fn call(&mut self, _request: Request<Body>) -> Self::Future {
            unreachable!("called while not ready")
        }
    }

    #[test]
    fn not_ready_while_the_service_inside_is_not() {
        let mut service = browser_only().layer(Busy);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(Service::<Request<Body>>::poll_ready(&mut service, &mut cx).is_pending());
    }

    #[tokio::test]
    async fn another_origin_and_every_options_go_through_cors() {
        let evil = send(app(browser_only()), post_mcp(Some("https://evil.example"))).await;
        assert_eq!(
            values(&evil, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            Vec::<String>::new()
        );
        assert!(!values(&evil, header::ACCESS_CONTROL_EXPOSE_HEADERS).is_empty());

        // A preflight is answered by CORS itself, token or not, Origin or not.
        for origin in [Some("http://localhost:6274"), None] {
            let mut preflight =
                Request::options("/mcp").header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST");
            if let Some(origin) = origin {
                preflight = preflight.header(header::ORIGIN, origin);
            }
            let response = send(app(browser_only()), preflight.body(Body::empty()).unwrap()).await;
            assert_eq!(response.status(), 200);
            assert!(values(&response, header::ACCESS_CONTROL_ALLOW_METHODS)[0].contains("POST"));
        }
    }
}
