//! The static reference data: currencies, countries with their states and cities (a small seeded list), card
//! tiers, the banks behind UAE IBANs, the IBANs whose holder the "third party" knows, conversion rates, and the
//! templates of each card's security settings and transaction limits.

use rust_decimal::Decimal;

/// A currency (`decimalPoint` 2 for all).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Currency {
    pub(crate) id: i64,
    pub(crate) name: &'static str,
    pub(crate) code: &'static str,
    pub(crate) iso_code: i64,
    pub(crate) symbol: Option<&'static str>,
    /// Value of one unit in AED (for conversions), as decimal text.
    pub(crate) aed_rate: &'static str,
}

/// The currencies accounts can be opened in.
pub(crate) const CURRENCIES: [Currency; 5] = [
    Currency { id: 1, name: "United States Dollar", code: "USD", iso_code: 840, symbol: Some("$"), aed_rate: "3.6725" },
    Currency { id: 2, name: "United ARAB EMIRATE", code: "AED", iso_code: 784, symbol: None, aed_rate: "1" },
    Currency { id: 3, name: "Euro", code: "EUR", iso_code: 978, symbol: Some("€"), aed_rate: "4.012" },
    Currency { id: 4, name: "Pound Sterling", code: "GBP", iso_code: 826, symbol: Some("£"), aed_rate: "4.665" },
    Currency { id: 5, name: "Pakistani Rupee", code: "PKR", iso_code: 586, symbol: Some("₨"), aed_rate: "0.0132" },
];

/// The exponent of every currency (`decimalPoint`).
pub(crate) const DECIMAL_POINT: u32 = 2;

/// The `createdAt` of the reference rows.
pub(crate) const REFERENCE_CREATED_AT: &str = "2024-10-07T04:56:49.699+00:00";

/// A currency by id.
pub(crate) fn currency(id: i64) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|c| c.id == id)
}

/// A currency by ISO code (case-insensitive).
pub(crate) fn currency_by_code(code: &str) -> Option<&'static Currency> {
    CURRENCIES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// The rate that converts an amount in `from` into `to` (8 decimals); `None` for an unknown currency.
pub(crate) fn rate(from: &str, to: &str) -> Option<Decimal> {
    let f: Decimal = currency_by_code(from)?.aed_rate.parse().ok()?;
    let t: Decimal = currency_by_code(to)?.aed_rate.parse().ok()?;
    if from.eq_ignore_ascii_case(to) {
        return Some(Decimal::ONE);
    }
    f.checked_div(t).map(|r| r.round_dp(8))
}

/// A country of the location endpoints.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Country {
    pub(crate) id: i64,
    pub(crate) name: &'static str,
    pub(crate) iso2: &'static str,
    /// ISO 3166-1 alpha-3 (what addresses carry as `countryCode`).
    pub(crate) iso3: &'static str,
    pub(crate) phone_code: &'static str,
    pub(crate) capital: &'static str,
    pub(crate) currency: &'static str,
    pub(crate) currency_symbol: &'static str,
    pub(crate) region: &'static str,
    pub(crate) latitude: &'static str,
    pub(crate) longitude: &'static str,
    pub(crate) nationality: &'static str,
}

const fn country(
    id: i64,
    name: &'static str,
    (iso2, iso3, phone_code): (&'static str, &'static str, &'static str),
    (capital, currency, currency_symbol, region): (&'static str, &'static str, &'static str, &'static str),
    (latitude, longitude, nationality): (&'static str, &'static str, &'static str),
) -> Country {
    Country {
        id,
        name,
        iso2,
        iso3,
        phone_code,
        capital,
        currency,
        currency_symbol,
        region,
        latitude,
        longitude,
        nationality,
    }
}

/// The countries (ids as in the docs' examples: 167 = Pakistan, 1 = Afghanistan).
pub(crate) const COUNTRIES: [Country; 6] = [
    country(
        1,
        "Afghanistan",
        ("AF", "AFG", "93"),
        ("Kabul", "AFN", "؋", "Asia"),
        ("33.00000000", "65.00000000", "Afghan"),
    ),
    country(
        101,
        "India",
        ("IN", "IND", "91"),
        ("New Delhi", "INR", "₹", "Asia"),
        ("20.00000000", "77.00000000", "Indian"),
    ),
    country(
        167,
        "Pakistan",
        ("PK", "PAK", "92"),
        ("Islamabad", "PKR", "₨", "Asia"),
        ("30.00000000", "70.00000000", "Pakistani"),
    ),
    country(
        229,
        "United Arab Emirates",
        ("AE", "ARE", "971"),
        ("Abu Dhabi", "AED", "إ.د", "Asia"),
        ("24.00000000", "54.00000000", "Emirati"),
    ),
    country(
        232,
        "United Kingdom",
        ("GB", "GBR", "44"),
        ("London", "GBP", "£", "Europe"),
        ("54.00000000", "-2.00000000", "British"),
    ),
    country(
        233,
        "United States",
        ("US", "USA", "1"),
        ("Washington", "USD", "$", "Americas"),
        ("38.00000000", "-97.00000000", "American"),
    ),
];

/// A state: `(id, name, latitude, longitude, countryId)`.
pub(crate) type StateRow = (i64, &'static str, &'static str, &'static str, i64);

/// The states.
pub(crate) const STATES: [StateRow; 11] = [
    (3871, "Badghis", "35.16713390", "63.76953840", 1),
    (3901, "Kabul", "34.55534940", "69.20748600", 1),
    (4008, "Maharashtra", "19.75147980", "75.71388840", 101),
    (3169, "Islamabad Capital Territory", "33.72049970", "73.04052770", 167),
    (3172, "Azad Kashmir", "33.92590550", "73.78103340", 167),
    (3174, "Balochistan", "28.49073320", "65.09577920", 167),
    (3176, "Punjab", "31.14713050", "75.34121790", 167),
    (3391, "Dubai", "25.20484930", "55.27078280", 229),
    (3396, "Abu Dhabi", "24.45388400", "54.37734380", 229),
    (2336, "England", "52.35551770", "-1.17432970", 232),
    (1416, "California", "36.77826100", "-119.41793240", 233),
];

/// A city: `(id, name, latitude, longitude, stateId)`.
pub(crate) type CityRow = (i64, &'static str, &'static str, &'static str, i64);

/// The cities.
pub(crate) const CITIES: [CityRow; 13] = [
    (72, "Ghormach", "35.73062000", "63.78264000", 3871),
    (150, "Kabul", "34.52813000", "69.17233000", 3901),
    (133_230, "Mumbai", "19.07283000", "72.88261000", 4008),
    (85_475, "Islamabad", "33.72148000", "73.04329000", 3169),
    (85_480, "Muzaffarabad", "34.37002000", "73.47082000", 3172),
    (85_481, "Quetta", "30.18414000", "67.00141000", 3174),
    (85_482, "Lahore", "31.55800000", "74.35071000", 3176),
    (85_483, "Rawalpindi", "33.59733000", "73.04790000", 3176),
    (131, "Dubai", "25.07725000", "55.30927000", 3391),
    (132, "Abu Dhabi", "24.45118000", "54.39696000", 3396),
    (50_388, "London", "51.50853000", "-0.12574000", 2336),
    (50_389, "Manchester", "53.48095000", "-2.23743000", 2336),
    (110_992, "Los Angeles", "34.05223000", "-118.24368000", 1416),
];

/// A country by id.
pub(crate) fn country_by_id(id: i64) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.id == id)
}

/// A state by id.
pub(crate) fn state_by_id(id: i64) -> Option<&'static StateRow> {
    STATES.iter().find(|s| s.0 == id)
}

/// A city by id.
pub(crate) fn city_by_id(id: i64) -> Option<&'static CityRow> {
    CITIES.iter().find(|c| c.0 == id)
}

/// A card tier (a card product configured for the SaaS app).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tier {
    pub(crate) id: i64,
    pub(crate) category: &'static str,
    pub(crate) consumer_type: &'static str,
    pub(crate) title: &'static str,
    pub(crate) description: &'static str,
    pub(crate) network: &'static str,
    /// The network's short name in the card-status webhook (`MC`).
    pub(crate) network_short: &'static str,
    pub(crate) payment_card_type: &'static str,
    /// `PHYSICAL,VIRTUAL`, or one of them.
    pub(crate) card_types: &'static str,
    pub(crate) billing_currency: &'static str,
    /// Months until expiry.
    pub(crate) expiry_months: u32,
    /// First digits of the PANs.
    pub(crate) bin: &'static str,
    pub(crate) third_party_slug: &'static str,
}

/// The tiers.
pub(crate) const TIERS: [Tier; 2] = [
    Tier {
        id: 67,
        category: "STANDARD",
        consumer_type: "CONSUMER",
        title: "VaultsPay Debit Card Tier",
        description: "Debit card for everyday spending, physical or virtual.",
        network: "MASTERCARD",
        network_short: "MC",
        payment_card_type: "DEBIT",
        card_types: "PHYSICAL,VIRTUAL",
        billing_currency: "AED",
        expiry_months: 36,
        bin: "540896",
        third_party_slug: "pmt-mastercard-issuing",
    },
    Tier {
        id: 68,
        category: "PREMIUM",
        consumer_type: "CONSUMER",
        title: "VaultsPay Virtual Prepaid Tier",
        description: "Prepaid virtual card for online spending.",
        network: "VISA",
        network_short: "VISA",
        payment_card_type: "PREPAID",
        card_types: "VIRTUAL",
        billing_currency: "AED",
        expiry_months: 24,
        bin: "476173",
        third_party_slug: "pmt-visa-issuing",
    },
];

/// A tier by id.
pub(crate) fn tier(id: i64) -> Option<&'static Tier> {
    TIERS.iter().find(|t| t.id == id)
}

/// A UAE bank: `(bank code, name, SWIFT)`.
pub(crate) type Bank = (&'static str, &'static str, &'static str);

/// The banks behind UAE IBANs (`AEkk bbb …`); the sandbox's own accounts are at 096.
pub(crate) const UAE_BANKS: [Bank; 4] = [
    ("026", "Emirates NBD", "EBILAEADXXX"),
    ("030", "INVESTBANK", "IBTFAEASXXX"),
    ("033", "Mashreq Bank", "BOMLAEADXXX"),
    ("096", "Zand Bank PJSC", "ZANDAEAAXXX"),
];

/// The bank code of the sandbox's own accounts.
pub(crate) const OWN_BANK_CODE: &str = "096";

/// IBANs outside the sandbox whose holder the "third party" returns (any other valid IBAN needs an
/// `accountTitle`): `(IBAN, holder)`.
pub(crate) const KNOWN_HOLDERS: [(&str, &str); 3] = [
    ("AE580300000002000007377", "John Matthews"),
    ("AE680961000648060000040", "Adamz Ahmed"),
    ("AE290330000012345678901", "Fatima Khan"),
];

/// A security setting template: `(title, description, transactionType, kind)`.
pub(crate) type SettingTemplate = (&'static str, &'static str, &'static str, crate::state::SettingKind);

/// Every card's four security settings (all off).
pub(crate) const SECURITY_SETTINGS: [SettingTemplate; 4] = [
    (
        "Block ATM Withdrawal Transactions",
        "Block ATM Withdrawal transactions, if you lost your ATM then you can block withdrawal from ATM for extra security ASAP!",
        "ATM_WITHDRAWAL",
        crate::state::SettingKind::Block,
    ),
    (
        "Block Purchase Transactions",
        "Online Purchase transactions are generally high-risk transactions. You can block them for extra security.",
        "PURCHASE",
        crate::state::SettingKind::Block,
    ),
    (
        "Block Contactless Transactions",
        "You can block transactions when card was not present at the time of transaction.",
        "PURCHASE",
        crate::state::SettingKind::CardNotPresent,
    ),
    (
        "Location Based Security",
        "You can block all international transactions by turning it on.",
        "ALL",
        crate::state::SettingKind::International,
    ),
];

/// The country of the cards (purchases elsewhere are international).
pub(crate) const HOME_COUNTRY: &str = "ARE";

/// A limit template: `(transactionType, frequency, limitType, slug stem, operator, limit, allowedLimit)`.
pub(crate) type LimitTemplate =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str);

/// Every card's transaction limits (in AED; COUNT limits count transactions).
pub(crate) const CARD_LIMITS: [LimitTemplate; 5] = [
    ("PURCHASE", "ONE_TIME", "LIMIT", "ONE_TIME_PURCHASE_MAX", "LESS_THAN_OR_EQUAL", "2500.00", "25000.00"),
    ("PURCHASE", "DAILY", "LIMIT", "DAILY_PURCHASE_MAX", "LESS_THAN_OR_EQUAL", "5000.00", "50000.00"),
    ("PURCHASE", "DAILY", "COUNT", "DAILY_PURCHASE_COUNT", "LESS_THAN_OR_EQUAL", "20", "100"),
    ("PURCHASE", "MONTHLY", "LIMIT", "MONTHLY_PURCHASE_MAX", "LESS_THAN_OR_EQUAL", "20000.00", "200000.00"),
    ("ATM_WITHDRAWAL", "DAILY", "LIMIT", "DAILY_ATM_WITHDRAWAL_MAX_EQ", "LESS_THAN_OR_EQUAL", "2000.00", "20000.00"),
];

/// The currency of every limit.
pub(crate) const LIMIT_CURRENCY: &str = "AED";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_data_hangs_together() {
        for s in STATES {
            assert!(country_by_id(s.4).is_some(), "{s:?}");
        }
        for c in CITIES {
            assert!(state_by_id(c.4).is_some(), "{c:?}");
        }
        assert_eq!(rate("USD", "AED"), Some("3.6725".parse().unwrap()));
        assert_eq!(rate("AED", "AED"), Some(Decimal::ONE));
        assert_eq!(rate("AED", "XXX"), None);
        for (iban, _) in KNOWN_HOLDERS {
            assert!(crate::iban::validate(iban).is_ok(), "{iban}");
        }
    }
}
