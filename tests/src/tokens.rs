//! Who calls: customers and admins with tokens the local server's authorizer accepts.

use holdfast_local::{TokenClaims, mint_token};
use serde_json::{Value, json};

pub(crate) const SECRET: &str = "holdfast-test-secret";

fn test_secret() -> String {
    std::env::var("HOLDFAST_DEV_JWT_SECRET").unwrap_or_else(|_| SECRET.to_string())
}

/// A token with exactly these claims (an hour to live), as an odd issuer might sign them.
pub fn raw_token(mut claims: Value) -> String {
    claims["exp"] = json!(jiff::Timestamp::now().as_second() + 3600);
    holdfast_local::mint_raw_token(&test_secret(), &claims)
}

/// Who calls: a customer, or an admin of an organisation.
#[derive(Debug, Clone)]
pub struct Who {
    pub sub: String,
    pub org_id: Option<String>,
    pub admin: bool,
}

impl Who {
    pub fn customer() -> Who {
        Who {
            sub: format!("cust-{}", uuid::Uuid::new_v4().simple()),
            org_id: None,
            admin: false,
        }
    }

    pub fn admin_of(org_id: &str) -> Who {
        Who {
            sub: format!("staff-{}", uuid::Uuid::new_v4().simple()),
            org_id: Some(org_id.into()),
            admin: true,
        }
    }

    /// An admin of a brand-new organisation.
    pub fn new_admin() -> Who {
        Who::admin_of(&format!("org-{}", uuid::Uuid::new_v4().simple()))
    }

    pub fn token(&self) -> String {
        self.token_signed_with(&test_secret())
    }

    pub fn token_signed_with(&self, secret: &str) -> String {
        let claims = TokenClaims {
            sub: self.sub.clone(),
            email: Some(format!("{}@example.com", self.sub)),
            org_id: self.org_id.clone(),
            groups: if self.admin {
                vec!["admin".into()]
            } else {
                vec![]
            },
            exp: jiff::Timestamp::now().as_second() + 3600,
        };
        mint_token(secret, &claims)
    }
}
