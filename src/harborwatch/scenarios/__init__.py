"""Generated scenarios that replay a reported story as SIMULATED data, to demonstrate and test
the pipeline end to end (:mod:`harborwatch.scenarios.tartus`)."""
