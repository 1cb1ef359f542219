//! The executor: runs plays on many hosts at once (linear strategy), loops, handlers, results.
//! (Implemented in issue 5.)
