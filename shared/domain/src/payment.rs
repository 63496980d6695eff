//! Money on a booking: who takes it, what the provider holds for it, and what was paid and
//! refunded. What a provider's word does to the booking is `settlement`'s.

use jiff::Timestamp;

use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentProvider {
    /// Pay at the desk: confirmed at once.
    None,
    Stripe,
    MercadoPago,
}

impl PaymentProvider {
    pub fn parse(raw: &str) -> Option<PaymentProvider> {
        match raw {
            "none" => Some(PaymentProvider::None),
            "stripe" => Some(PaymentProvider::Stripe),
            "mercadopago" => Some(PaymentProvider::MercadoPago),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentProvider::None => "none",
            PaymentProvider::Stripe => "stripe",
            PaymentProvider::MercadoPago => "mercadopago",
        }
    }
}

/// Where the payment stands, as docs/api.md names it. Derived from the amounts, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Pending,
    Paid,
    /// An attempt failed: the hold stands until it lapses, the customer may try again.
    Failed,
    /// Holdfast decided a refund the provider has not yet made.
    RefundPending,
    Refunded,
    PartiallyRefunded,
}

impl PaymentStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::RefundPending => "refund_pending",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
        }
    }
}

/// What the provider holds for a booking, for the customer to pay with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkout {
    Stripe {
        payment_intent_id: String,
        client_secret: String,
    },
    MercadoPago {
        preference_id: String,
        checkout_url: String,
    },
}

/// Money that reached the venue's account for a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// The provider's payment: the PaymentIntent, or Mercado Pago's payment id.
    pub payment_id: String,
    pub amount: Money,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub provider: PaymentProvider,
    /// What is asked: the booking's price.
    pub amount: Money,
    pub checkout: Option<Checkout>,
    pub paid: Option<Paid>,
    /// The last attempt failed (and nothing was paid since).
    pub failed: bool,
    /// In minor units of what was paid: the refund Holdfast decided in all…
    pub refund_due: i64,
    /// …of which the provider was asked for so far…
    pub refund_requested: i64,
    /// …and what the provider says it refunded.
    pub refunded: i64,
    /// The cancellation policy's percent, when a cancellation decided the refund.
    pub refund_percent: Option<u8>,
}

impl Payment {
    /// A payment asked of `provider` for `amount`, nothing paid yet.
    pub fn pending(provider: PaymentProvider, amount: Money) -> Payment {
        Payment {
            provider,
            amount,
            checkout: None,
            paid: None,
            failed: false,
            refund_due: 0,
            refund_requested: 0,
            refunded: 0,
            refund_percent: None,
        }
    }

    pub fn status(&self) -> PaymentStatus {
        let Some(paid) = &self.paid else {
            return if self.failed {
                PaymentStatus::Failed
            } else {
                PaymentStatus::Pending
            };
        };
        if self.refunded >= paid.amount.amount && paid.amount.amount > 0 {
            PaymentStatus::Refunded
        } else if self.refund_due > self.refunded {
            PaymentStatus::RefundPending
        } else if self.refunded > 0 {
            PaymentStatus::PartiallyRefunded
        } else {
            PaymentStatus::Paid
        }
    }

    /// The refund still to ask the provider for, with the key that makes asking twice safe.
    pub fn refund_to_request(&self, booking_id: &str) -> Option<(Money, String)> {
        let paid = self.paid.as_ref()?;
        let amount = self.refund_due - self.refund_requested.max(self.refunded);
        (amount > 0).then(|| {
            (
                Money {
                    amount,
                    currency: paid.amount.currency,
                },
                format!("{booking_id}-refund-{}", self.refund_due),
            )
        })
    }

    /// Money refunded so far, in the currency paid.
    pub fn refunded_money(&self) -> Money {
        Money {
            amount: self.refunded,
            currency: self
                .paid
                .as_ref()
                .map_or(self.amount.currency, |p| p.amount.currency),
        }
    }
}

/// The refund a cancellation gives: `percent` of what was paid; `None` when nothing was.
pub fn cancellation_refund(payment: &Payment, percent: u8) -> Option<(u8, Money)> {
    let paid = payment.paid.as_ref()?;
    let percent = percent.min(100);
    let amount = paid.amount.amount * i64::from(percent) / 100;
    Some((
        percent,
        Money {
            amount,
            currency: paid.amount.currency,
        },
    ))
}
