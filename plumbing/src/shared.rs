//! A service stack that is cheap to clone.
//!
//! axum clones a route's service for every request — `Route::call` clones
//! it, and so does each `from_fn` middleware for the service inside it — so a
//! stack under several layers is copied several times per request, with
//! everything it owns (a CORS layer's header lists, a guard's host names).
//! [`Shared`] puts the stack behind an `Arc`: the layers above copy a pointer,
//! and the stack itself is cloned once, when a request reaches it.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use tower::{Service, ServiceExt, util::Oneshot};

/// `service` behind an `Arc` (see the module page).
pub struct Shared<S>(Arc<S>);

impl<S> Shared<S> {
    pub fn new(service: S) -> Shared<S> {
        Shared(Arc::new(service))
    }
}

impl<S> Clone for Shared<S> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<S, R> Service<R> for Shared<S>
where
    S: Service<R> + Clone,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Oneshot<S, R>;

    /// Always ready: each request gets its own clone, which is asked in [`Oneshot`].
    /// (cargo-mutants' "return `Poll::from(Ok(()))`" is this very body: an equivalent mutant.)
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: R) -> Self::Future {
        S::clone(&self.0).oneshot(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its clones; answers with how many there were when it was called.
    struct Counted(Arc<AtomicUsize>);

    impl Clone for Counted {
        fn clone(&self) -> Self {
            self.0.fetch_add(1, Ordering::SeqCst);
            Counted(Arc::clone(&self.0))
        }
    }

    impl Service<()> for Counted {
        type Response = usize;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<usize, Self::Error>>;
        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, (): ()) -> Self::Future {
            std::future::ready(Ok(self.0.load(Ordering::SeqCst)))
        }
    }

    #[tokio::test]
    async fn clones_of_the_wrapper_do_not_clone_the_stack() {
        let clones = Arc::new(AtomicUsize::new(0));
        let shared = Shared::new(Counted(Arc::clone(&clones)));
        let copies: Vec<_> = (0..10).map(|_| shared.clone()).collect();
        assert_eq!(clones.load(Ordering::SeqCst), 0);
        // One clone per request, made when the request reaches the stack.
        let answer = copies[3].clone().oneshot(()).await.unwrap();
        assert_eq!(answer, 1);
        assert_eq!(shared.clone().oneshot(()).await.unwrap(), 2);
    }
}
