Feature: A school's designated safeguarding lead lists what falls on schools
  As a designated safeguarding lead (DSL) in a school or college
  I want the duties that fall on schools and on me, with their force and legal basis
  So that I can tell the law from statutory guidance and from advice when I write our policy

  Background:
    Given the bundled guidance has been indexed

  Scenario: The duties of schools in the current edition
    When I list the duties for "schools"
    Then the list is for the 2023 edition and includes designated safeguarding leads
    And it includes the legal duty "schools-safeguarding-duty" under "Education Act 2002"
    And it includes "education-in-strategic-arrangements" as statutory guidance
    And within each chapter legal duties come first, then statutory guidance, then advice
    And every provision on the list names schools, colleges, early years or DSLs among its roles

  Scenario: A DSL's own list
    When I list the duties for "dsl"
    Then it includes the legal duty "kcsie-have-regard" under "Education Act 2002"
    And every provision on the list names designated safeguarding leads among its roles

  Scenario: What applies to every practitioner is listed apart
    When I list the duties for "schools" with what applies to all practitioners
    Then the list for all practitioners is not empty and repeats nothing from the schools list

  Scenario: A role the guidance does not use
    When I list the duties for "caretaker"
    Then I am told "unknown role 'caretaker'"
