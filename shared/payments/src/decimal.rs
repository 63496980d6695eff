//! Mercado Pago writes amounts as decimal numbers in major units; Holdfast keeps integers in
//! minor units. These convert exactly, by the digits, never through a float.

use holdfast_domain::{Currency, Money};

/// `money` as the decimal number Mercado Pago expects: 45050 MXN is `450.5`.
pub fn to_decimal(money: &Money) -> serde_json::Number {
    let digits = money.currency.minor_digits();
    let scale = 10i64.pow(digits);
    let (whole, fraction) = (money.amount / scale, (money.amount % scale).abs());
    let text = if digits == 0 {
        whole.to_string()
    } else {
        let sign = if money.amount < 0 && whole == 0 {
            "-"
        } else {
            ""
        };
        format!("{sign}{whole}.{fraction:0width$}", width = digits as usize)
    };
    // A decimal string of digits always reads as a JSON number.
    serde_json::from_str(&text).unwrap_or_else(|_| serde_json::Number::from(0))
}

/// The minor units a decimal `number` spells in `currency`, if it has no more fraction digits
/// than the currency has (450.505 MXN is no amount of centavos).
pub fn from_decimal(number: &serde_json::Number, currency: Currency) -> Option<Money> {
    let text = number.to_string();
    let digits = currency.minor_digits() as usize;
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    if text.contains(['e', 'E']) {
        return None;
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > digits || whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded = format!("{whole}{fraction:0<digits$}");
    let amount: i64 = padded.parse().ok()?;
    Some(Money {
        amount: if negative { -amount } else { amount },
        currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: i64, code: &str) -> Money {
        Money {
            amount,
            currency: Currency::parse(code).unwrap(),
        }
    }

    #[test]
    fn minor_units_become_decimals_and_back_exactly() {
        for (amount, code, text) in [
            (45050, "MXN", "450.50"),
            (1800, "PEN", "18.00"),
            (5, "MXN", "0.05"),
            (15000, "CLP", "15000"),
            (1234, "KWD", "1.234"),
        ] {
            let m = money(amount, code);
            let decimal = to_decimal(&m);
            assert_eq!(
                decimal.to_string().parse::<f64>().unwrap(),
                text.parse::<f64>().unwrap()
            );
            assert_eq!(
                from_decimal(&decimal, m.currency),
                Some(m),
                "{code} {amount}"
            );
        }
    }

    #[test]
    fn decimals_as_the_provider_writes_them_read_exactly() {
        let mxn = Currency::parse("MXN").unwrap();
        let read =
            |raw: &str| from_decimal(&serde_json::from_str(raw).unwrap(), mxn).map(|m| m.amount);
        assert_eq!(read("450.5"), Some(45050));
        assert_eq!(read("450"), Some(45000));
        assert_eq!(read("0.1"), Some(10));
        assert_eq!(read("450.505"), None, "no fraction of a centavo");
        assert_eq!(read("1e3"), Some(100000), "a JSON number in any notation");
    }
}
