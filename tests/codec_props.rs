//! Property tests of the cty codec: round trips through msgpack and JSON for arbitrary
//! types and conforming values, and decoders that never panic on arbitrary bytes.

use std::collections::BTreeMap;

use proptest::prelude::*;
use terraform_provider_entra::codec::{json, msgpack, Number, Type, Value};

fn primitive_type() -> impl Strategy<Value = Type> {
    prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)]
}

fn any_type() -> impl Strategy<Value = Type> {
    primitive_type().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Type::Tuple),
            prop::collection::btree_map("[a-z_]{1,8}", inner.clone(), 0..4).prop_map(Type::Object),
            primitive_type().prop_map(|_| Type::Dynamic),
        ]
    })
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        (-1.0e12f64..1.0e12)
            .prop_filter("fractional", |f| f.fract() != 0.0)
            .prop_map(Number::Float),
        "[1-9][0-9]{20,30}".prop_map(Number::Big),
    ]
}

/// A value conforming to `ty`; `unknowns` allows unknown leaves (msgpack only).
fn value_of(ty: Type, unknowns: bool) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::String => ".{0,12}".prop_map(Value::String).boxed(),
        Type::Number => number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(elem) => prop::collection::vec(value_of(*elem, unknowns), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(elem) => prop::collection::vec(value_of(*elem, unknowns), 0..4)
            .prop_map(Value::Set)
            .boxed(),
        Type::Map(elem) => {
            prop::collection::btree_map("[a-z]{1,6}", value_of(*elem, unknowns), 0..4)
                .prop_map(Value::Map)
                .boxed()
        }
        Type::Tuple(types) => types
            .into_iter()
            .map(|t| value_of(t, unknowns))
            .collect::<Vec<_>>()
            .prop_map(Value::Tuple)
            .boxed(),
        Type::Object(attrs) => {
            let names: Vec<String> = attrs.keys().cloned().collect();
            attrs
                .into_values()
                .map(|t| value_of(t, unknowns))
                .collect::<Vec<_>>()
                .prop_map(move |vals| {
                    Value::Object(names.iter().cloned().zip(vals).collect::<BTreeMap<_, _>>())
                })
                .boxed()
        }
        Type::Dynamic => primitive_type()
            .prop_flat_map(move |t| {
                value_of(t.clone(), unknowns)
                    .prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
            })
            .boxed(),
    };
    if unknowns {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    any_type()
        .prop_flat_map(move |t| value_of(t.clone(), unknowns).prop_map(move |v| (t.clone(), v)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_round_trips((ty, value) in typed_value(true)) {
        let bytes = msgpack::encode(&value, &ty).expect("encode");
        let back = msgpack::decode(&bytes, &ty).expect("decode");
        prop_assert!(back.same_as(&value), "{value:?} came back as {back:?}");
    }

    #[test]
    fn json_round_trips((ty, value) in typed_value(false)) {
        let bytes = json::encode(&value, &ty).expect("encode");
        let back = json::decode(&bytes, &ty).expect("decode");
        prop_assert!(back.same_as(&value), "{value:?} came back as {back:?}");
    }

    /// One type-directed walk serves both encodings: they read back the same value.
    #[test]
    fn encodings_agree((ty, value) in typed_value(false)) {
        let from_json = json::decode(&json::encode(&value, &ty).expect("json"), &ty).expect("json back");
        let from_msgpack = msgpack::decode(&msgpack::encode(&value, &ty).expect("msgpack"), &ty).expect("msgpack back");
        prop_assert!(from_json.same_as(&from_msgpack), "JSON {from_json:?} vs msgpack {from_msgpack:?}");
    }

    #[test]
    fn msgpack_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256), ty in any_type()) {
        let _ = msgpack::decode(&bytes, &ty);
    }

    #[test]
    fn json_decoder_never_panics(text in ".{0,128}", ty in any_type()) {
        let _ = json::decode(text.as_bytes(), &ty);
    }

    #[test]
    fn msgpack_decoder_survives_mutations((ty, value) in typed_value(true), flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let mut bytes = msgpack::encode(&value, &ty).expect("encode");
        for (at, b) in flips {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = b;
            }
        }
        let _ = msgpack::decode(&bytes, &ty);
    }
}

#[test]
fn deeply_nested_input_is_an_error_not_a_crash() {
    let mut bytes = vec![0x91u8; 100_000];
    bytes.push(0xc0);
    let refused = msgpack::decode(&bytes, &Type::Dynamic).unwrap_err();
    assert_eq!(refused.message, "invalid msgpack: depth limit exceeded");
    let text = "[".repeat(100_000);
    let refused = json::decode(text.as_bytes(), &Type::Dynamic).unwrap_err();
    assert!(
        refused
            .message
            .starts_with("invalid JSON: recursion limit exceeded"),
        "{refused:?}"
    );
}
