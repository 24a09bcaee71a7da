Feature: Policy staff see what a new edition of the guidance changed
  As a policy officer of a local safeguarding partnership
  I want to see at a glance what a new edition changed, what it means for each agency, and where
  our local procedures no longer match national guidance
  So that I can update our procedures and tell each agency what to do differently

  Background:
    Given the bundled guidance has been indexed

  Scenario: A summary of what changed from 2018 to 2023 comes before the detail
    When I compare edition 2018 with edition 2023
    Then the summary counts every change listed, per kind and per chapter
    And "safeguarding-partners-duty" moved from chapter 3 to chapter 2
    And "lead-safeguarding-partners-defined" was added
    And "rapid-review" was reworded, with a word diff that rebuilds both texts
    And the timescale of "icpc-timescale" did not change

  Scenario: What changed for schools
    When I compare edition 2018 with edition 2023 for the role "schools"
    Then every change listed concerns schools, colleges, early years or designated safeguarding leads
    And "schools-safeguarding-duty" moved from chapter 2 to chapter 4

  Scenario: The 2018 reforms replaced LSCBs and serious case reviews
    When I compare edition 2015 with edition 2018
    Then "lscb-establishment" was replaced by "safeguarding-partners-duty"
    And "serious-case-review" was replaced by "local-review-arrangements"
    And "serious-incident-notification" was reclassified from "should" to "must"
    And "lscb-functions" was removed

  Scenario: Only reclassifications and timescale changes
    When I compare edition 2018 with edition 2023 showing only "reclassified,timescale"
    Then every change listed is a reclassification or a timescale change

  Scenario: Where a local procedure departs from the national flowcharts
    When I compare edition 2018 with the local overlay "example-area-2018"
    Then each local timescale listed differs from the national figure in the 2018 flowchart
    And each local note is listed

  Scenario: A kind of change the diff does not know
    When I compare edition 2018 with edition 2023 showing only "renamed"
    Then I am told "unknown change kind 'renamed'"
