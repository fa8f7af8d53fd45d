//! Bounds on open event streams: each one holds a database follower, so one token cannot
//! open enough of them to exhaust the server's connections and files. A stream over a limit
//! is refused with 503 and `Retry-After`; its slot comes back when the stream ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::problem::Problem;

/// Streams one process serves at once, and per user.
pub const MAX_STREAMS: usize = 200;
pub const MAX_STREAMS_PER_USER: usize = 8;
/// What a refused client is told to wait, in seconds.
const RETRY_AFTER_SECONDS: &str = "5";

#[derive(Default)]
pub struct StreamSlots {
    open: Mutex<HashMap<String, usize>>,
}

/// A held slot; dropping it (the stream ended) frees it.
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    user: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user);
            }
        }
    }
}

impl StreamSlots {
    /// A slot for `user`'s new stream, or the answer refusing it.
    pub fn take(self: &Arc<Self>, user: &str) -> Result<StreamSlot, Box<Response>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = open.values().sum();
        let mine = open.get(user).copied().unwrap_or(0);
        let refusal = if total >= MAX_STREAMS {
            Some(format!(
                "the server has {MAX_STREAMS} event streams open; try again shortly"
            ))
        } else if mine >= MAX_STREAMS_PER_USER {
            Some(format!(
                "this user has {MAX_STREAMS_PER_USER} event streams open already; close one first"
            ))
        } else {
            None
        };
        if let Some(detail) = refusal {
            let mut response =
                Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail).into_response();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            return Err(Box::new(response));
        }
        *open.entry(user.to_string()).or_default() += 1;
        Ok(StreamSlot {
            slots: self.clone(),
            user: user.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_a_bounded_number_of_streams_and_slots_come_back() {
        let slots = Arc::new(StreamSlots::default());
        let held: Vec<StreamSlot> = (0..MAX_STREAMS_PER_USER)
            .map(|_| slots.take("cat").ok().unwrap())
            .collect();
        let refused = slots.take("cat").err().unwrap();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "5");
        assert!(slots.take("dog").is_ok(), "others are not affected");
        drop(held);
        assert!(slots.take("cat").is_ok());
    }
}
