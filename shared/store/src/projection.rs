//! Reading only some attributes of an item: each name through a placeholder of its own, so
//! that none is ever misread as one of DynamoDB's reserved words.

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

/// `query`, reading only the attributes `names`.
pub(crate) fn projected(query: QueryFluentBuilder, names: &[&str]) -> QueryFluentBuilder {
    let placeholders: Vec<String> = names.iter().map(|name| format!("#{name}")).collect();
    let mut query = query.projection_expression(placeholders.join(", "));
    for (placeholder, name) in placeholders.into_iter().zip(names) {
        query = query.expression_attribute_names(placeholder, *name);
    }
    query
}
