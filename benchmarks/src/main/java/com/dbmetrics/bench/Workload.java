package com.dbmetrics.bench;

import java.util.SplittableRandom;

/**
 * What one "view" of a load generator sends: one or more HTTP/1.1 GET requests, answered independently; the view is
 * done when every one of them is answered. Requests are whole, ready-to-write request bytes (request line and
 * headers), so the generator's hot loop formats nothing.
 */
interface Workload {

    /** The requests of the next view. */
    byte[][] next(SplittableRandom random);

    /** One line saying what a view is, for the report. */
    String describe();
}
