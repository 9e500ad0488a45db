//! The seeded data: the SaaS app's agent user (4) with an AED account; a verified customer, John Mock-Doe (5),
//! with personal info, a MAILING address, an AED and a USD account, an ACTIVE virtual card and an ACTIVE physical
//! card (PIN set), and two past purchases; a customer whose KYC is PENDING, Jane Roe (6). Ids of later users start
//! at 601. Card numbers, tokens, CVVs and account numbers follow the seed.

use cardsdk_sandbox_kit::{Det, now_ms};
use rust_decimal::Decimal;

use crate::cards::{self, NewCard};
use crate::catalog::DECIMAL_POINT;
use crate::control::credit;
use crate::money::from_minor;
use crate::state::{Address, Inner, Limit, Merchant, Money, Personal, Txn};
use crate::users::{self, NewUser};
use crate::{KycStatus, TestUser, accounts, transactions};

const DAY: i64 = 86_400_000;

fn new_user(first: &str, last: &str, email: &str, cc: &str, phone: &str) -> NewUser {
    NewUser {
        first_name: first.into(),
        last_name: last.into(),
        email: Some(email.into()),
        country_code: Some(cc.into()),
        phone: Some(phone.into()),
        status: "ACTIVE".into(),
    }
}

fn personal(first: &str, last: &str, dob: &str, gender: &str, nationality: &str) -> Personal {
    Personal {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        nick_name: Some(first.into()),
        dob: Some(dob.into()),
        gender: Some(gender.into()),
        marital_status: Some("SINGLE".into()),
        nationality: Some(nationality.into()),
        country_of_birth: Some(nationality.into()),
        country_of_residence: Some("ARE".into()),
        tin: Some("0112133232".into()),
        language: Some("ENGLISH".into()),
    }
}

/// A past purchase on a card, posted without the rules engine.
fn past_purchase(inner: &mut Inner, card_id: i64, minor: i64, merchant: (&str, &str, &str, &str, &str), at: i64) {
    let Some(c) = inner.cards.get(&card_id).cloned() else {
        return;
    };
    let major = from_minor(minor, DECIMAL_POINT);
    let (name, city, country, code, mcc) = merchant;
    let ref_no = inner.det().digits(19);
    let narration = format!("POS AT {name} - {city}, {code} CARD NO *{} REF NO {ref_no}", cards::last_four(&c));
    let uuid = inner.det().uuid();
    let id = transactions::record(
        inner,
        Txn {
            id: 0,
            uuid,
            kind: "Purchase",
            at,
            status: "SUCCESS",
            total_charges: Decimal::ZERO,
            narration: narration.clone(),
            user_id: Some(c.user_id),
            card_id: Some(c.id),
            sender: Some(c.account_id),
            receiver: None,
            counterparty: None,
            billing: Money { amount: major, currency: "AED".into() },
            original: Money { amount: major, currency: "AED".into() },
            rate: Decimal::ONE,
            merchant: Some(Merchant {
                id: 6021,
                mcc: mcc.into(),
                name: name.into(),
                city: city.into(),
                country: country.into(),
                country_code: code.into(),
            }),
            slug: cards::tier_of(&c).third_party_slug,
            rule_type: Some("PURCHASE"),
        },
    );
    accounts::post(inner, c.account_id, -major, &narration, (id, transactions::ref_id(id)), at);
}

fn view(inner: &Inner, id: i64) -> TestUser {
    let u = inner.users.get(&id);
    TestUser {
        user_id: id,
        email: u.and_then(|u| u.email.clone()).unwrap_or_default(),
        first_name: u.map(|u| u.first_name.clone()).unwrap_or_default(),
        last_name: u.map(|u| u.last_name.clone()).unwrap_or_default(),
        kyc_status: u.map_or(KycStatus::Pending, |u| u.kyc),
        account_ids: inner.accounts.values().filter(|a| a.user_id == id).map(|a| a.id).collect(),
        card_ids: inner.cards.values().filter(|c| c.user_id == id).map(|c| c.id).collect(),
    }
}

/// Builds the seeded state; returns it with the public view of the agent, the verified and the pending user.
pub(crate) fn seed(seed: u64) -> (Inner, [TestUser; 3]) {
    let mut inner = Inner { det: Some(Det::new(seed, 0x5A_4D_B0)), ..Inner::default() };
    let now = now_ms();
    inner.ids.user = 3;
    let agent = users::create(
        &mut inner,
        1,
        "AGENT",
        new_user("Default", "Agent", "default.agent@vaultspay.ae", "971", "500000004"),
    )
    .unwrap_or(4);
    let john = users::create(
        &mut inner,
        agent,
        "USER",
        new_user("John", "Mock-Doe", "default.user@vaultspay.ae", "92", "3001234567"),
    )
    .unwrap_or(5);
    let jane =
        users::create(&mut inner, agent, "USER", new_user("Jane", "Roe", "jane.roe@vaultspay.ae", "971", "501234567"))
            .unwrap_or(6);
    inner.ids.user = 600;
    for (id, kyc, p) in [
        (agent, KycStatus::Verified, None),
        (john, KycStatus::Verified, Some(personal("John", "Mock-Doe", "1990-05-15", "MALE", "PAK"))),
        (jane, KycStatus::Pending, Some(personal("Jane", "Roe", "1994-11-02", "FEMALE", "GBR"))),
    ] {
        if let Some(u) = inner.users.get_mut(&id) {
            u.kyc = kyc;
            u.personal = p;
        }
    }
    let _ = crate::kyc::add_address(
        &mut inner,
        Address {
            id: 0,
            user_id: john,
            kind: "MAILING".into(),
            country_id: 167,
            state_id: 3169,
            city_id: 85_475,
            line1: "House 12, Street 5".into(),
            line2: Some("F-7/2".into()),
            postal_code: Some("44000".into()),
            longitude: Some("73.04329000".into()),
            latitude: Some("33.72148000".into()),
            status: true,
        },
    );
    let agent_aed = accounts::open(&mut inner, agent, 2, "DIGITAL").unwrap_or(1);
    let john_aed = accounts::open(&mut inner, john, 2, "DIGITAL").unwrap_or(2);
    let john_usd = accounts::open(&mut inner, john, 1, "DIGITAL").unwrap_or(3);
    let opened = now - 30 * DAY;
    let _ = credit(&mut inner, agent_aed, 100_000_000, "OPENING BALANCE", opened);
    let _ = credit(&mut inner, john_aed, 1_000_000, "OPENING BALANCE", opened);
    let _ = credit(&mut inner, john_usd, 250_050, "OPENING BALANCE", opened);
    let virtual_card = cards::issue(
        &mut inner,
        NewCard {
            user_id: john,
            account_id: john_aed,
            tier_id: 67,
            card_type: "VIRTUAL",
            status: "ACTIVE",
            emboss_name: "JOHN MOCK-DOE".into(),
            address: None,
            pan: None,
            expiry_after: None,
            pin: None,
        },
    );
    let physical = cards::issue(
        &mut inner,
        NewCard {
            user_id: john,
            account_id: john_aed,
            tier_id: 67,
            card_type: "PHYSICAL",
            status: "ACTIVE",
            emboss_name: "JOHN MOCK-DOE".into(),
            address: Some(serde_json::json!({
                "country": "PAK", "state": "Islamabad Capital Territory", "city": "Islamabad",
                "addressLine1": "House 12, Street 5", "type": "MAILING", "postalCode": "44000",
            })),
            pan: None,
            expiry_after: None,
            pin: Some("1234".into()),
        },
    );
    if let Some(c) = inner.cards.get_mut(&physical) {
        c.manufacturing = Some("MANUFACTURED");
        c.delivery = Some("DELIVERED".into());
    }
    past_purchase(
        &mut inner,
        virtual_card,
        10_000,
        ("W.H.Smith Signature", "Edinburgh", "United Kingdom", "GBR", "5942"),
        now - 2 * DAY,
    );
    past_purchase(
        &mut inner,
        virtual_card,
        2_575,
        ("Sains Online", "London", "United Kingdom", "GBR", "5411"),
        now - DAY,
    );
    let lid = crate::state::next(&mut inner.ids.limit);
    inner.limits.push(Limit {
        id: lid,
        card_id: None,
        transaction_type: "DEPOSIT".into(),
        frequency: "ONE_TIME",
        limit_type: "LIMIT",
        slug: "ONE_TIME_DEPOSIT_MAX_VP_ACQ_LIMIT".into(),
        operator: "LESS_THAN",
        third_party: "vp-acq",
        limit: "20000.00".into(),
        allowed: "200000.00".into(),
        currency: "AED",
    });
    let users = [view(&inner, agent), view(&inner, john), view(&inner, jane)];
    (inner, users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_balances_are_exact() {
        let (inner, [agent, john, jane]) = seed(42);
        assert_eq!((agent.user_id, john.user_id, jane.user_id), (4, 5, 6));
        assert_eq!(john.account_ids, [2, 3]);
        assert_eq!(john.card_ids, [1, 2]);
        assert_eq!(inner.accounts[&2].balance, "9874.25".parse::<Decimal>().unwrap());
        assert_eq!(inner.accounts[&3].balance, "2500.50".parse::<Decimal>().unwrap());
        assert_eq!(jane.kyc_status, KycStatus::Pending);
        let (again, _) = seed(42);
        assert_eq!(inner.cards[&1].pan, again.cards[&1].pan);
        let (other, _) = seed(7);
        assert_ne!(inner.cards[&1].pan, other.cards[&1].pan);
    }
}
