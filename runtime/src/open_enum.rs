//! Open enumerations: the documented values as variants, anything else kept as `Unknown(String)`.
//!
//! The APIs add statuses, categories and types their docs do not list. A closed Rust enum would fail the whole
//! response on such a value; every value set of a contract is therefore generated through [`open_enum!`](crate::open_enum!):
//!
//! - decoding matches the wire value exactly, then ignoring ASCII case (casing drifts between endpoints), and keeps
//!   any other value as `Unknown(String)`; a number or boolean is read as its JSON text; it never fails on a scalar;
//! - encoding writes the documented wire value, or the kept string for `Unknown`;
//! - `Display`/`FromStr` use the wire value, so the types work as query parameters too.
//!
//! ```
//! cardsdk_runtime::open_enum! {
//!     /// A card's state.
//!     CardStatus { Active = "ACTIVE", Frozen = "FROZEN" }
//! }
//!
//! let status: CardStatus = serde_json::from_str("\"frozen\"").unwrap();
//! assert_eq!(status, CardStatus::Frozen);
//! let future: CardStatus = serde_json::from_str("\"SUSPENDED\"").unwrap();
//! assert_eq!(future, CardStatus::Unknown("SUSPENDED".into()));
//! assert_eq!(future.as_str(), "SUSPENDED");
//! assert!(!future.is_known());
//! assert_eq!(serde_json::to_string(&CardStatus::Active).unwrap(), "\"ACTIVE\"");
//! ```

/// Defines an open enum: `Name { Variant = "wire", ... }` plus an `Unknown(String)` catch-all (see the
/// [module docs](mod@crate::open_enum)).
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value the contract does not list, kept as sent.
            Unknown(::std::string::String),
        }

        impl $name {
            /// Every documented wire value, in contract order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(other) => other.as_str(),
                }
            }

            /// `false` for a value the contract does not list.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }

            /// Decodes a wire value: exact match, then ASCII-case-insensitive, else `Unknown`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => return Self::$variant, )*
                    _ => {}
                }
                $( if value.eq_ignore_ascii_case($wire) { return Self::$variant; } )*
                Self::Unknown(value.to_owned())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from_wire(value))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_wire(value)
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                <Self as $crate::wire::Wire>::from_wire(deserializer, $crate::wire::Mode::Exact)
            }
        }

        impl $crate::redact::RedactDebug for $name {
            fn redact_fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(self, f)
            }
        }

        impl $crate::wire::Wire for $name {
            fn from_wire<'de, D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
                _: $crate::wire::Mode,
            ) -> ::std::result::Result<Self, D::Error> {
                let text = <::std::string::String as $crate::wire::Wire>::from_wire(deserializer, $crate::wire::Mode::Exact)?;
                Ok(Self::from_wire(&text))
            }
        }
    };
}
