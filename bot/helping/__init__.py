"""Help that is scheduled: *Ask for help…* books a teammate for a working-time slot."""
