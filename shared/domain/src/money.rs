//! Money in integer minor units with an ISO 4217 currency; never a float.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;

/// Active ISO 4217 codes (list one, 2024 edition, less funds and precious metals).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW",
    "ZWG",
];

/// An ISO 4217 currency code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The currency named by `code` (upper case, as ISO writes it), if ISO 4217 lists it.
    /// Every code [`Currency::parse`] takes: what `openapi.yaml` lists.
    pub fn codes() -> &'static [&'static str] {
        ISO_4217
    }

    pub fn parse(code: &str) -> Option<Currency> {
        if !ISO_4217.contains(&code) {
            return None;
        }
        let bytes = code.as_bytes();
        Some(Currency([bytes[0], bytes[1], bytes[2]]))
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from an entry of ISO_4217, which is ASCII.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// How many digits of minor units make one major unit (ISO 4217's exponent): 2 for most,
    /// 0 for yen or Chilean pesos, 3 for dinars.
    pub fn minor_digits(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An amount in the currency's minor units (cents, centavos, céntimos).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl fmt::Display for Money {
    /// For people: `18.00 EUR`, `1500 CLP`, `1.250 KWD`; integers all the way.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        if digits == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let unit = 10u64.pow(digits);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / unit,
            abs % unit,
            self.currency,
            width = digits as usize
        )
    }
}

impl Money {
    /// `units` times this price, or `None` when it would not fit.
    pub fn times(self, units: usize) -> Option<Money> {
        let units = i64::try_from(units).ok()?;
        Some(Money {
            amount: self.amount.checked_mul(units)?,
            currency: self.currency,
        })
    }
}

/// Money as a request carries it, before it is checked.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyDraft {
    pub amount: i64,
    pub currency: String,
}

impl MoneyDraft {
    /// A price: not negative, and in the venue's currency.
    pub fn to_price(
        &self,
        field: &str,
        venue_currency: Currency,
        errors: &mut FieldErrors,
    ) -> Option<Money> {
        let Some(currency) = Currency::parse(&self.currency) else {
            errors.add(
                format!("{field}.currency"),
                "must be an ISO 4217 code such as EUR, MXN or PEN",
            );
            return None;
        };
        if currency != venue_currency {
            errors.add(
                format!("{field}.currency"),
                format!("must be the venue's currency, {venue_currency}"),
            );
            return None;
        }
        if self.amount < 0 {
            errors.add(format!("{field}.amount"), "must not be negative");
            return None;
        }
        Some(Money {
            amount: self.amount,
            currency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_accepts_iso_codes_only() {
        assert_eq!(
            Currency::parse("MXN").map(|c| c.to_string()),
            Some("MXN".into())
        );
        assert!(Currency::parse("mxn").is_none());
        assert!(Currency::parse("XYZ").is_none());
        assert!(Currency::parse("EURO").is_none());
    }

    #[test]
    fn times_refuses_overflow() {
        let eur = Currency::parse("EUR").unwrap();
        let price = Money {
            amount: 600,
            currency: eur,
        };
        assert_eq!(
            price.times(3),
            Some(Money {
                amount: 1800,
                currency: eur
            })
        );
        let huge = Money {
            amount: i64::MAX / 2,
            currency: eur,
        };
        assert_eq!(huge.times(3), None);
    }

    #[test]
    fn price_must_match_venue_currency() {
        let eur = Currency::parse("EUR").unwrap();
        let mut errors = FieldErrors::new();
        let draft = MoneyDraft {
            amount: 100,
            currency: "MXN".into(),
        };
        assert!(draft.to_price("unit_price", eur, &mut errors).is_none());
        assert_eq!(
            errors.get("unit_price.currency"),
            Some("must be the venue's currency, EUR")
        );
    }

    #[test]
    fn money_reads_in_major_units_by_the_currencys_exponent() {
        let money = |amount, code| Money {
            amount,
            currency: Currency::parse(code).unwrap(),
        };
        assert_eq!(money(1800, "EUR").to_string(), "18.00 EUR");
        assert_eq!(money(5, "MXN").to_string(), "0.05 MXN");
        assert_eq!(money(1500, "CLP").to_string(), "1500 CLP");
        assert_eq!(money(1250, "KWD").to_string(), "1.250 KWD");
        assert_eq!(money(-250, "PEN").to_string(), "-2.50 PEN");
    }
}
