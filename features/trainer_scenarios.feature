Feature: A safeguarding trainer builds a case scenario and hands it out
  As a trainer of multi-agency safeguarding courses
  I want to build a fictional case on the flowcharts of an edition, with the dates things happened
  So that practitioners see when each step was due in working days, where the case drifted, and why

  Background:
    Given a new scenario "A referral over Christmas" on the 2018 flowchart "referral"
    And the child is "Alex Example", 7 years old, "a fictional Year 2 pupil"
    And the agencies are "Riverside Primary School" as "dsl" and "Northshire Children's Services" as "la-social-care"
    And the school had concerns and referred on "2023-12-22"

  Scenario: The decision on a referral made before Christmas is due after the bank holidays
    Given "decision" happened on "2023-12-28", with the answer "reasonable cause to suspect"
    When I run the scenario
    Then "decision" was due on "Wednesday 27 December 2023" under the "national" figure
    And the working days counted to "decision" skip "Christmas Day" and "Boxing Day"
    And "decision" is "1 working day late"

  Scenario: The conference is counted from the strategy discussion, over New Year
    Given "decision" happened on "2023-12-28", with the answer "reasonable cause to suspect"
    And the case goes on to the "strategy-discussion" flowchart
    And "strategy-discussion" happened on "2023-12-29", with the answer "section 47 enquiries are to be made"
    And "section-47-enquiries" happened on "2024-01-02", with the answer "concerns substantiated"
    And "convene-icpc" happened on "2024-01-25"
    When I run the scenario
    Then "convene-icpc" was due on "Monday 22 January 2024" under the "national" figure
    And the working days counted to "convene-icpc" skip "New Year's Day"
    And the case drifted at "decision" and "convene-icpc"

  Scenario: A local area's own timescale makes a conference late that the national one would not
    Given the shipped scenario "immediate-protection"
    When I run the scenario
    Then "convene-icpc" was due on "Monday 15 April 2024" under the "local: example-area" figure
    And "convene-icpc" is "3 working days late"

  Scenario: The handout prints on its own and shows what I typed as text
    Given "decision" happened on "2023-12-28", with the answer "reasonable cause to suspect"
    And the notes for "decision" say "<b>Urgent</b> & overdue"
    When I export the handout as "html"
    Then the handout is a single page with print styles and nothing to fetch or run
    And the handout shows "&lt;b&gt;Urgent&lt;/b&gt; &amp; overdue"

  Scenario: The same handout in Markdown, to edit before the session
    Given "decision" happened on "2023-12-28", with the answer "reasonable cause to suspect"
    When I export the handout as "md"
    Then the handout shows "| Wednesday 27 December 2023 | Thursday 28 December 2023 | 1 working day late |"

  Scenario: A date typed in the wrong order is caught before anything is worked out
    Given "decision" happened on "2023-12-20", with the answer "reasonable cause to suspect"
    When I run the scenario
    Then I am told "is dated before step 'referral-received' on 2023-12-22"

  Scenario: An answer the flowchart does not offer
    Given "decision" happened on "2023-12-28", with the answer "wait and see"
    When I run the scenario
    Then I am told "'wait and see' matches 0 branches"
