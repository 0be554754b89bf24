import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'mentors' })
@Index('mentors_chapter_name_idx', ['chapterId', 'fullName', 'mentorId'])
export class MentorProfile {
  @PrimaryColumn({ name: 'mentor_id', type: 'varchar', length: 64 })
  mentorId: string;

  @Column({ name: 'full_name', type: 'varchar', length: 200 })
  fullName: string;

  @Column({ name: 'chapter_id', type: 'varchar', length: 64 })
  chapterId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
