//! One Lambda: the function of `holdfast_functions::FUNCTIONS` this binary is named after.

holdfast_functions::main!();
