//! List resources (Terraform >= 1.14, `list` blocks in `*.tfquery.hcl` run by
//! `terraform query`): the objects of a managed resource type that exist, each by its
//! resource identity, streamed to Terraform as they are found.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::context::Ctx;
use super::declaration::Declaration;
use super::diag::Diagnostics;
use crate::codec::Value;

/// A list resource type. Its declaration's type name is the managed resource type whose
/// objects it lists (which must have a resource identity), and its schema is the `config`
/// block of the `list` block.
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The type's name, the `config` block's schema and its static checks.
    fn declaration(&self) -> Declaration;

    /// Finds the objects (ListResource) and sends each to `results` as soon as it is
    /// known; stops when [`ListResults::send`] says so. The diagnostics returned end the
    /// stream (errors: the listing failed; what was sent stays sent).
    async fn list(&self, req: ListRequest<'_>, results: &ListResults, ctx: &Ctx) -> Diagnostics;
}

/// A listing asked for by Terraform.
pub struct ListRequest<'a> {
    /// The `config` block, wholly known.
    pub config: &'a Value,
    /// Terraform wants each object's full state too (e.g. for `-generate-config-out`).
    pub include_resource_object: bool,
    /// At most this many results are wanted.
    pub limit: usize,
}

/// One object found.
pub struct ListResult {
    /// Its resource identity, wholly known.
    pub identity: Value,
    /// A name a person recognises the object by.
    pub display_name: String,
    /// Its full state, when [`ListRequest::include_resource_object`] asked for it.
    pub resource_object: Option<Value>,
}

/// Where a list resource sends what it finds: a bounded channel to the RPC's stream, so a
/// slow Terraform slows the listing down instead of the provider buffering everything.
pub struct ListResults {
    tx: mpsc::Sender<ListResult>,
    limit: usize,
    sent: std::sync::atomic::AtomicUsize,
}

impl ListResults {
    /// A sink of at most `limit` results and the receiving end the server streams from.
    pub(crate) fn channel(limit: usize) -> (ListResults, mpsc::Receiver<ListResult>) {
        let (tx, rx) = mpsc::channel(16);
        let results = ListResults {
            tx,
            limit,
            sent: std::sync::atomic::AtomicUsize::new(0),
        };
        (results, rx)
    }

    /// Sends one result. `false`: stop listing, because the limit is reached or Terraform
    /// stopped reading (it ends the stream itself at its limit).
    pub async fn send(&self, result: ListResult) -> bool {
        use std::sync::atomic::Ordering;
        if self.sent.load(Ordering::SeqCst) >= self.limit {
            return false;
        }
        if self.tx.send(result).await.is_err() {
            return false;
        }
        self.sent.fetch_add(1, Ordering::SeqCst) + 1 < self.limit
    }

    /// Whether more results are wanted.
    pub fn wants_more(&self) -> bool {
        self.sent.load(std::sync::atomic::Ordering::SeqCst) < self.limit && !self.tx.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(n: usize) -> ListResult {
        ListResult {
            identity: Value::Null,
            display_name: n.to_string(),
            resource_object: None,
        }
    }

    #[tokio::test]
    async fn sending_stops_at_the_limit() {
        let (results, mut rx) = ListResults::channel(2);
        assert!(results.send(result(1)).await, "one more is wanted");
        assert!(!results.send(result(2)).await, "the limit is reached");
        assert!(!results.wants_more());
        assert!(!results.send(result(3)).await, "nothing past the limit");
        drop(results);
        let mut got = Vec::new();
        while let Some(r) = rx.recv().await {
            got.push(r.display_name);
        }
        assert_eq!(got, ["1", "2"]);
    }

    #[tokio::test]
    async fn sending_stops_when_terraform_stops_reading() {
        let (results, rx) = ListResults::channel(10);
        drop(rx);
        assert!(!results.send(result(1)).await);
        assert!(!results.wants_more());
    }
}
