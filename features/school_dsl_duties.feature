Feature: A school's designated safeguarding lead lists what falls on schools
  As a designated safeguarding lead (DSL) in a school or college
  I want the duties that fall on schools and on me, with their force and legal basis
  So that I can tell the law from statutory guidance and from advice when I write our policy

  Background:
    Given the bundled guidance has been indexed

  Scenario: The duties of schools in the current editions
    When I list the duties for "schools"
    Then the list covers "kcsie/2025" then "wt/2023" and includes designated safeguarding leads
    And it includes the legal duty "schools-safeguarding-duty" under "Education Act 2002"
    And it includes "education-in-strategic-arrangements" as statutory guidance
    And within each chapter legal duties come first, then statutory guidance, then advice
    And every provision on the list names schools or a role that schools include

  Scenario: A DSL's own list
    When I list the duties for "dsl"
    Then it includes the legal duty "kcsie-have-regard" under "Education Act 2002"
    And every provision on the list names designated safeguarding leads among its roles

  Scenario: What applies to every practitioner is listed apart
    When I list the duties for "schools" with what applies to all practitioners
    Then the list for all practitioners is not empty and repeats nothing from the schools list

  Scenario: A DSL's list starts with Keeping children safe in education
    When I list the duties for "dsl"
    Then the first provision on the list is from "KCSIE 2025"
    And at least 15 provisions from "KCSIE 2025" on it are statutory with force and legal basis

  Scenario: Monday - when is the DSL's refresher training due?
    When I list the duties for "dsl"
    Then "dsl-training" is statutory guidance cited as "KCSIE 2025, annex C" with a timescale of "2 years" from "dsl-training"
    And "dsl-knowledge-refreshed" is statutory guidance cited as "KCSIE 2025, annex C"

  Scenario: Tuesday - a pupil leaves in the middle of the year
    When I list the duties for "deputy-dsl"
    Then "child-protection-file-transfer" is statutory guidance cited as "KCSIE 2025, annex C" with a timescale of "5 days" from "pupil-leaves"
    And "child-protection-file-receiving" is statutory guidance cited as "KCSIE 2025, annex C"

  Scenario: Wednesday - what every member of staff has to read and do
    When I list the duties for "school-staff"
    Then "staff-read-part-one" is statutory guidance cited as "KCSIE 2025, part 1"
    And it includes the legal duty "fgm-mandatory-reporting" under "Female Genital Mutilation Act 2003"

  Scenario: Thursday - the safeguarding governor asks about filtering and monitoring
    When I list the duties for "governing-body"
    Then "filtering-and-monitoring" is statutory guidance cited as "KCSIE 2025, part 2"
    And "child-protection-policy" is statutory guidance cited as "KCSIE 2025, part 2" with a timescale of "1 year" from "policy-review"

  Scenario: A role the guidance does not use
    When I list the duties for "caretaker"
    Then I am told "unknown role 'caretaker'"
