"""Galaxy Zoo decision trees as explicit schema objects (questions, answers, which answer leads to
which question) and the vote-count columns they read; one module per campaign."""
