//! A journal: records a sandbox keeps for its tests (delivery attempts, ...), shared and awaitable.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{deadline, lock};

/// An append-only list shared by clones, with a wait for a number of entries.
#[derive(Debug)]
pub struct Journal<T>(Arc<Mutex<Vec<T>>>);

impl<T> Clone for Journal<T> {
    fn clone(&self) -> Self {
        Journal(self.0.clone())
    }
}

impl<T> Default for Journal<T> {
    fn default() -> Self {
        Journal(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<T: Clone> Journal<T> {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an entry.
    pub fn push(&self, entry: T) {
        lock(&self.0).push(entry);
    }

    /// Every entry so far, in order.
    pub fn all(&self) -> Vec<T> {
        lock(&self.0).clone()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        lock(&self.0).clear();
    }

    /// Waits until at least `count` entries are recorded or `timeout` passes; returns them all.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<T> {
        let until = deadline(timeout);
        loop {
            let all = self.all();
            if all.len() >= count || Instant::now() >= until {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_entries_pushed_elsewhere() {
        let j: Journal<u32> = Journal::new();
        let writer = j.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.push(1);
            writer.push(2);
        });
        assert_eq!(j.wait_for(2, Duration::from_secs(2)).await, [1, 2]);
        assert_eq!(j.wait_for(5, Duration::from_millis(30)).await.len(), 2);
        j.clear();
        assert!(j.is_empty());
    }
}
