//! What Terraform recorded, read back through `terraform show -json`.

use serde_json::Value;

use super::Harness;

/// The resource identity `terraform show -json` reports for the object at `address`
/// (Terraform >= 1.12 records one).
pub fn identity_in_state(h: &Harness, address: &str) -> Value {
    let show: Value =
        serde_json::from_str(&h.ok(&["show", "-json", "-no-color"])).expect("show -json");
    let resources = show["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let r = resources
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in {show}"));
    r["identity"].clone()
}
