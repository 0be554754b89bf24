import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrlSecrets } from '../../src/common/http/url-secrets.js';

describe('redactUrlSecrets', () => {
  it('replaces the values of access_token, api_key, key and token, whatever their case', () => {
    assert.equal(
      redactUrlSecrets('/api/v1/things?access_token=a1&API_KEY=b2&Key=c3&TOKEN=d4&page=2'),
      '/api/v1/things?access_token=[REDACTED]&API_KEY=[REDACTED]&Key=[REDACTED]&TOKEN=[REDACTED]&page=2',
    );
  });

  it('recognises a percent-encoded name, and leaves names that only contain a secret word alone', () => {
    assert.equal(redactUrlSecrets('/x?%74oken=s3cret&monkey=1&token_type=bearer'), '/x?%74oken=[REDACTED]&monkey=1&token_type=bearer');
  });

  it('leaves URLs without a query, and parameters without a value, as they are', () => {
    assert.equal(redactUrlSecrets('/api/v1/mentors/mntr_1'), '/api/v1/mentors/mntr_1');
    assert.equal(redactUrlSecrets('/x?token&limit=5'), '/x?token&limit=5');
    assert.equal(redactUrlSecrets('/x?%E0%A4%A=1'), '/x?%E0%A4%A=1');
  });
});
