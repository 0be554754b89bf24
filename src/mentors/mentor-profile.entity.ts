import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'mentors' })
@Index('mentors_chapter_name_idx', ['chapterId', 'fullName', 'mentorId'])
@Index('mentors_certification_expiry_idx', ['certificationExpiresAt', 'mentorId'], { where: '"certification_expires_at" IS NOT NULL' })
@Index('mentors_name_idx', ['fullName', 'mentorId'])
@Index('mentors_chapter_certification_expiry_idx', ['chapterId', 'certificationExpiresAt'], { where: '"certification_expires_at" IS NOT NULL' })
export class MentorProfile {
  @PrimaryColumn({ name: 'mentor_id', type: 'varchar', length: 64 })
  mentorId: string;

  @Column({ name: 'full_name', type: 'varchar', length: 200 })
  fullName: string;

  @Column({ name: 'chapter_id', type: 'varchar', length: 64 })
  chapterId: string;

  @Column({ name: 'certification_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  certificationExpiresAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
