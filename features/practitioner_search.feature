Feature: A practitioner searches the guidance in plain words
  As a social worker, health visitor or police officer
  I want to ask the guidance a question in my own words
  So that I get the exact provisions, with edition, citation, status and legal basis

  Background:
    Given the bundled guidance has been indexed

  Scenario: Finding how quickly a referral must be decided
    When I search for "how quickly does children's social care have to decide what to do with a referral"
    Then one of the first 3 results is the provision "referral-decision" of the 2023 edition
    And that provision's timescale is "1 working day" from "referral-received"
    And that provision cites chapter 3 of WT 2023 by paragraph or section, with a link to the official guidance
    And that provision is statutory guidance with its legal basis

  Scenario: Keeping to what the guidance requires
    When I search for "initial child protection conference" showing statutory provisions only
    Then every result is statutory, with a force of must or should and a legal basis
    And one of the results is the provision "icpc-timescale" of the 2023 edition

  Scenario: Asking nothing
    When I search for ""
    Then I am told "the query is empty"
