//! Decode time of a page of 50 card transactions, paired in one run:
//! - `today`: the decoding before the lossless rules (typify's derived `Deserialize`, the previous exact-decimal
//!   and open-enum deserializers, reproduced verbatim from the previous generated code in `mod today`): strict in
//!   form, unknown members dropped;
//! - `lossless`: the generated types of now (every field by its `Wire` rule, unknown members kept in `extra`),
//!   on the same docs-shaped page;
//! - `lossless_live`: the generated types on a live-shaped page (undocumented members, mixed scalar forms,
//!   cashback objects) that `today` cannot decode at all.
//!
//! `cargo bench --bench decoding`. Criterion's medians vary by a few percent between runs, so the bench also
//! prints a paired ratio: `today` and `lossless` decode the same page in alternation, and the ratio of their totals
//! is taken per round (median of 15 rounds).

use criterion::{Criterion, criterion_group, criterion_main};

#[allow(dead_code, clippy::all)]
mod today {
    //! The decoding of the previous release, for the baseline.

    /// The previous `open_enum!`: exact, then case-insensitive match, else `Unknown`; strings only.
    macro_rules! open_enum {
        ($(#[$meta:meta])* $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),* $(,)? }) => {
            $(#[$meta])*
            #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum $name { $( $(#[$vmeta])* $variant, )* Unknown(::std::string::String) }
            impl $name {
                pub fn from_wire(value: &str) -> Self {
                    match value { $( $wire => return Self::$variant, )* _ => {} }
                    $( if value.eq_ignore_ascii_case($wire) { return Self::$variant; } )*
                    Self::Unknown(value.to_owned())
                }
            }
            impl<'de> ::serde::Deserialize<'de> for $name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(Self::from_wire(&value))
                }
            }
            impl ::serde::Serialize for $name {
                fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                    s.serialize_str(match self { $( Self::$variant => $wire, )* Self::Unknown(o) => o })
                }
            }
        };
    }

    open_enum! {
        #[doc =
        " Merchant category group of a transaction (`mccCategory`), also the values of the comma-separated `mccCategories` filter."]
        CardMccCategory { #[doc = " `SUBSCRIPTIONS`"] Subscriptions = "SUBSCRIPTIONS",
        #[doc = " `FOOD`"] Food = "FOOD", #[doc = " `TRAVEL`"] Travel = "TRAVEL", #[doc =
        " `ENTERTAINMENT`"] Entertainment = "ENTERTAINMENT", #[doc = " `HEALTH`"] Health
        = "HEALTH", #[doc = " `ATM`"] Atm = "ATM", #[doc = " `UTILITIES`"] Utilities =
        "UTILITIES", #[doc = " `MISC`"] Misc = "MISC", }
    }

    open_enum! {
        #[doc =
        " Direction of a card transaction or funding movement, upper case (wallet history uses lower case `debit`/`credit`). The docs show only `DEBIT`; `CREDIT` (refunds) is inferred."]
        CardTransactionSign { #[doc = " `DEBIT`"] Debit = "DEBIT", #[doc = " `CREDIT`"]
        Credit = "CREDIT", }
    }

    open_enum! {
        #[doc =
        " State of a card transaction or funding movement. The docs show only `CONFIRMED`; pending transactions are listed too, with a status value the docs do not name (decodes as an unknown value)."]
        CardTransactionStatus { #[doc = " `CONFIRMED`"] Confirmed = "CONFIRMED", }
    }

    #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default, PartialEq)]
    pub struct CardTransaction {
        ///Amount in the merchant currency.
        #[serde(rename = "amountInOriginalCurrency", skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub amount_in_original_currency: ::std::option::Option<::rust_decimal::Decimal>,
        ///Amount in the card currency.
        #[serde(rename = "amountInTransactionCurrency", skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub amount_in_transaction_currency: ::std::option::Option<::rust_decimal::Decimal>,
        ///Applied rate: card-currency amount / merchant-currency amount.
        #[serde(rename = "billingConversionRate", skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub billing_conversion_rate: ::std::option::Option<::rust_decimal::Decimal>,
        ///Card id: a numeric string.
        #[serde(rename = "cardId", skip_serializing_if = "::std::option::Option::is_none")]
        pub card_id: ::std::option::Option<::std::string::String>,
        ///ISO 8601 UTC timestamp with milliseconds.
        #[serde(rename = "dateTime", skip_serializing_if = "::std::option::Option::is_none")]
        pub date_time: ::std::option::Option<::std::string::String>,
        ///Why the transaction was declined; an empty string when it was not.
        #[serde(rename = "declineReason", skip_serializing_if = "::std::option::Option::is_none")]
        pub decline_reason: ::std::option::Option<::std::string::String>,
        ///Reference (ECB) rate for the currency pair.
        #[serde(rename = "ecbRate", skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub ecb_rate: ::std::option::Option<::rust_decimal::Decimal>,
        ///Fees in the merchant currency.
        #[serde(rename = "feesInOriginalCurrency", skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub fees_in_original_currency: ::std::option::Option<::rust_decimal::Decimal>,
        ///Fees in the card currency.
        #[serde(rename = "feesInTransactionCurrency", skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub fees_in_transaction_currency: ::std::option::Option<::rust_decimal::Decimal>,
        ///The crypto movements that funded the transaction.
        #[serde(rename = "fundingSources", skip_serializing_if = "::std::option::Option::is_none")]
        pub funding_sources: ::std::option::Option<::std::vec::Vec<CardFundingSource>>,
        ///Transaction id (a UUID in the docs; treat as opaque). Use it to de-duplicate across pages.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub id: ::std::option::Option<::std::string::String>,
        ///ISO 18245 merchant category code (a JSON integer).
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub mcc: ::std::option::Option<i64>,
        #[serde(rename = "mccCategory", skip_serializing_if = "::std::option::Option::is_none")]
        pub mcc_category: ::std::option::Option<CardMccCategory>,
        ///Merchant name and location.
        #[serde(rename = "merchantNameLocation", skip_serializing_if = "::std::option::Option::is_none")]
        pub merchant_name_location: ::std::option::Option<::std::string::String>,
        ///Merchant channel. Not a documented value set: seen `OutOfWalletOnline` (JSON example) and `InStore` (statement example).
        #[serde(rename = "merchantType", skip_serializing_if = "::std::option::Option::is_none")]
        pub merchant_type: ::std::option::Option<::std::string::String>,
        ///Merchant currency code, upper case.
        #[serde(rename = "originalCurrency", skip_serializing_if = "::std::option::Option::is_none")]
        pub original_currency: ::std::option::Option<::std::string::String>,
        ///Last 4 digits of the PAN.
        #[serde(rename = "panLast4", skip_serializing_if = "::std::option::Option::is_none")]
        pub pan_last4: ::std::option::Option<::std::string::String>,
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub sign: ::std::option::Option<CardTransactionSign>,
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub status: ::std::option::Option<CardTransactionStatus>,
        ///Card (billing) currency code, upper case (`EUR` in the docs). Not the merchant currency: that is `originalCurrency`.
        #[serde(rename = "transactionCurrency", skip_serializing_if = "::std::option::Option::is_none")]
        pub transaction_currency: ::std::option::Option<::std::string::String>,
        ///Processor transaction id: a numeric string.
        #[serde(rename = "transactionId", skip_serializing_if = "::std::option::Option::is_none")]
        pub transaction_id: ::std::option::Option<::std::string::String>,
    }
    #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default, PartialEq)]
    pub struct CardFundingSource {
        ///Wallet address the funds came from.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub address: ::std::option::Option<::std::string::String>,
        ///Token amount debited, in token units.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub amount: ::std::option::Option<::rust_decimal::Decimal>,
        ///Token symbol, lower case (e.g. `usdc`), unlike the upper-case tokens of the statement CSV.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub currency: ::std::option::Option<::std::string::String>,
        ///ISO 8601 UTC timestamp with milliseconds.
        #[serde(rename = "dateTime", skip_serializing_if = "::std::option::Option::is_none")]
        pub date_time: ::std::option::Option<::std::string::String>,
        ///Fees, in token units.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub fees: ::std::option::Option<::rust_decimal::Decimal>,
        ///Funding movement id (a UUID in the docs; treat as opaque).
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub id: ::std::option::Option<::std::string::String>,
        ///Network name, lower case (e.g. `linea`). Not an enumerated set on the card pages.
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub network: ::std::option::Option<::std::string::String>,
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub sign: ::std::option::Option<CardTransactionSign>,
        #[serde(skip_serializing_if = "::std::option::Option::is_none")]
        pub status: ::std::option::Option<CardTransactionStatus>,
        ///Swap fee, in token units.
        #[serde(rename = "swapFee", skip_serializing_if = "::std::option::Option::is_none")]
        #[serde(default, deserialize_with = "crate::today::money_serde::option_decimal")]
        pub swap_fee: ::std::option::Option<::rust_decimal::Decimal>,
        ///On-chain transaction hash.
        #[serde(rename = "txHash", skip_serializing_if = "::std::option::Option::is_none")]
        pub tx_hash: ::std::option::Option<::std::string::String>,
    }

    pub mod money_serde {
        use std::borrow::Cow;
        use std::fmt;

        use serde::de::{self, Deserializer, MapAccess, Visitor};

        use baanx::Decimal;
        fn parse(text: &str, round: bool) -> Result<Decimal, baanx::money::AmountError> {
            if round { baanx::money::parse_amount_rounding(text) } else { baanx::money::parse_amount(text) }
        }
        const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";
        pub fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
            deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, AmountVisitor { round: false })
        }
        pub fn option_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
            deserializer.deserialize_option(OptionAmountVisitor { round: false })
        }
        pub fn decimal_rounding<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
            deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, AmountVisitor { round: true })
        }
        pub fn option_decimal_rounding<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Decimal>, D::Error> {
            deserializer.deserialize_option(OptionAmountVisitor { round: true })
        }

        struct AmountVisitor {
            round: bool,
        }

        impl AmountVisitor {
            fn parse_text<E: de::Error>(&self, text: &str) -> Result<Decimal, E> {
                parse(text, self.round).map_err(E::custom)
            }
        }

        impl<'de> Visitor<'de> for AmountVisitor {
            type Value = Decimal;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount as a string or a number")
            }

            // serde_json hands the raw JSON text of the value as a one-entry map.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
                let Some(key) = map.next_key::<Cow<'de, str>>()? else {
                    return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
                };
                if key != RAW_VALUE_TOKEN {
                    return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
                }
                let raw: Cow<'de, str> = map.next_value()?;
                let raw = raw.trim();
                if raw.starts_with('"') {
                    let text: Cow<'_, str> = serde_json::from_str(raw).map_err(de::Error::custom)?;
                    self.parse_text(&text)
                } else if raw == "null" {
                    Err(de::Error::invalid_type(de::Unexpected::Unit, &self))
                } else if raw.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
                    self.parse_text(raw)
                } else {
                    Err(de::Error::invalid_type(de::Unexpected::Other(shorten_raw(raw)), &self))
                }
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Decimal, D::Error> {
                deserializer.deserialize_any(self)
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Decimal, E> {
                self.parse_text(value)
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
                Ok(Decimal::from(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
                Ok(Decimal::from(value))
            }

            fn visit_i128<E: de::Error>(self, value: i128) -> Result<Decimal, E> {
                self.parse_text(&value.to_string())
            }

            fn visit_u128<E: de::Error>(self, value: u128) -> Result<Decimal, E> {
                self.parse_text(&value.to_string())
            }

            // Only reached from a source that already holds the number as a float (not serde_json text): the
            // shortest text that round-trips the float is the best information left.
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
                if !value.is_finite() {
                    return Err(E::invalid_value(de::Unexpected::Float(value), &self));
                }
                self.parse_text(&format!("{value:?}"))
            }
        }

        fn shorten_raw(raw: &str) -> &str {
            match raw.char_indices().nth(32) {
                Some((at, _)) => &raw[..at],
                None => raw,
            }
        }

        struct OptionAmountVisitor {
            round: bool,
        }

        impl<'de> Visitor<'de> for OptionAmountVisitor {
            type Value = Option<Decimal>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount as a string or a number, or null")
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
                deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, AmountVisitor { round: self.round }).map(Some)
            }
        }
    }
}

const PAGE_SIZE: usize = 50;

/// A docs-shaped page (both decodings read it): the docs' transaction, 50 times with distinct ids.
fn docs_page() -> String {
    let one = include_str!("../tests/fixtures/docs/list_card_transactions/response-200.json");
    let item: serde_json::Value = serde_json::from_str::<Vec<serde_json::Value>>(one).unwrap().remove(0);
    let items: Vec<serde_json::Value> = (0..PAGE_SIZE)
        .map(|i| {
            let mut item = item.clone();
            item["id"] = format!("tx-{i}").into();
            item
        })
        .collect();
    serde_json::to_string(&items).unwrap()
}

/// A live-shaped page: the fixture's three transactions (mixed forms, cashback, undocumented members), repeated.
fn live_page() -> String {
    // Raw items (a `serde_json::Value` would turn the exact numbers into floats).
    let raw: Vec<Box<serde_json::value::RawValue>> =
        serde_json::from_str(include_str!("../tests/fixtures/live/list_card_transactions/response-mixed.json"))
            .unwrap();
    let parts: Vec<&str> = raw.iter().cycle().take(PAGE_SIZE).map(|r| r.get()).collect();
    format!("[{}]", parts.join(","))
}

fn bench(c: &mut Criterion) {
    let docs = docs_page();
    let live = live_page();
    let decode_today = |body: &str| serde_json::from_str::<Vec<today::CardTransaction>>(body).unwrap();
    let decode_now = |body: &str| serde_json::from_str::<Vec<baanx::api::types::CardTransaction>>(body).unwrap();
    assert_eq!(decode_today(&docs).len(), PAGE_SIZE);
    assert_eq!(decode_now(&docs).len(), PAGE_SIZE);
    assert!(serde_json::from_str::<Vec<today::CardTransaction>>(&live).is_err(), "today cannot read the live page");
    assert_eq!(decode_now(&live).len(), PAGE_SIZE);

    let mut group = c.benchmark_group("decode_page_of_50");
    group.bench_function("today", |b| b.iter(|| decode_today(std::hint::black_box(&docs))));
    group.bench_function("lossless", |b| b.iter(|| decode_now(std::hint::black_box(&docs))));
    group.bench_function("lossless_live", |b| b.iter(|| decode_now(std::hint::black_box(&live))));
    group.finish();

    let mut ratios = Vec::new();
    let mut per_page = Vec::new();
    for _round in 0..15 {
        let (mut old, mut new) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        for _ in 0..2_000 {
            let t = std::time::Instant::now();
            std::hint::black_box(decode_today(std::hint::black_box(&docs)));
            old += t.elapsed();
            let t = std::time::Instant::now();
            std::hint::black_box(decode_now(std::hint::black_box(&docs)));
            new += t.elapsed();
        }
        ratios.push(new.as_secs_f64() / old.as_secs_f64());
        per_page.push((old.as_secs_f64() / 2_000.0 * 1e6, new.as_secs_f64() / 2_000.0 * 1e6));
    }
    ratios.sort_by(|a, b| a.partial_cmp(b).unwrap());
    per_page.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    let (old_us, new_us) = per_page[per_page.len() / 2];
    println!(
        "paired, 15 rounds of 2000 pages of {PAGE_SIZE}: lossless / today = {:.3}x (median; range {:.3}-{:.3}); today {old_us:.1} µs, lossless {new_us:.1} µs per page",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
