//! Writes that hold only if their condition does: a failed condition is an answer (`None`), not
//! a failure of the store. One reading of DynamoDB's `ConditionalCheckFailedException`.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use crate::StoreError;

/// An operation's error that can say its condition did not hold.
pub(crate) trait ConditionalError {
    fn condition_failed(&self) -> bool;
}

impl ConditionalError for PutItemError {
    fn condition_failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionalError for DeleteItemError {
    fn condition_failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionalError for UpdateItemError {
    fn condition_failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

/// The write's output when it went through, `None` when its condition did not hold; any other
/// error is the store's.
pub(crate) fn if_condition_held<T, E, R>(
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, StoreError>
where
    E: ConditionalError + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err) if err.as_service_error().is_some_and(E::condition_failed) => Ok(None),
        Err(err) => Err(err.into()),
    }
}
